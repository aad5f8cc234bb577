import { Problem, toProblem } from '@astro/shared';

/**
 * The problem behind a failed resource or call: Angular's `resource` wraps
 * an error that is not an `Error`, with the original as its `cause`.
 * (The sales app has its own copy; the console keeps one so that the two
 * apps can change independently.)
 */
export function problemOf(error: unknown): Problem {
  const original =
    error instanceof Error && error.cause !== undefined && error.name !== 'HttpErrorResponse' ? error.cause : error;
  return toProblem(original);
}
