import { Problem, toProblem } from '@astro/shared';

/**
 * The problem behind a failed resource: Angular's `resource` hands back an
 * error that is not an `Error` wrapped, with the original as its `cause`.
 */
export function problemOf(error: unknown): Problem {
  const original =
    error instanceof Error && error.cause !== undefined && error.name !== 'HttpErrorResponse' ? error.cause : error;
  return toProblem(original);
}

/** Whether the launch asked for does not exist: 404, or 422 for an id that is not one. */
export function isNotFound(problem: Problem | null): boolean {
  return problem !== null && (problem.status === 404 || problem.status === 422);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` can be a launch id at all (a UUID); other ids are not found without asking. */
export function isLaunchId(id: string): boolean {
  return UUID.test(id);
}
