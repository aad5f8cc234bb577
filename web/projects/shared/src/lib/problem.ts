import { HttpErrorResponse } from '@angular/common/http';

/** One invalid field of a 422, as the services name it. */
export interface FieldProblem {
  /** The field's path, e.g. `passengers[0].birth_date`. */
  readonly field: string;
  /** A stable code, e.g. `too_long`. */
  readonly code: string;
  /** A sentence for the user. */
  readonly message: string;
}

/**
 * An RFC 9457 problem as the app shows it. Network failures and answers
 * that are not problem+json become problems too, so that a page has one
 * kind of error to show.
 */
export interface Problem {
  /** The HTTP status; 0 when the service could not be reached. */
  readonly status: number;
  /** A short summary. */
  readonly title: string;
  /** The sentence to show the user. */
  readonly detail: string;
  /** The invalid fields of a 422. */
  readonly errors: readonly FieldProblem[];
  /** Seconds to wait before retrying (429, 503), from `Retry-After`. */
  readonly retryAfterSeconds?: number;
}

/**
 * The problem an HTTP call failed with. STUB: the sign-on work replaces this
 * with the full mapping (see issue 15); the signature stays.
 */
export function toProblem(error: unknown): Problem {
  if (error instanceof HttpErrorResponse) {
    const body = (error.error ?? {}) as Partial<Problem>;
    return {
      status: error.status,
      title: body.title ?? error.statusText,
      detail: body.detail ?? error.message,
      errors: body.errors ?? [],
    };
  }
  return { status: 0, title: 'Error', detail: String(error), errors: [] };
}

/** The 422 field errors by field path, for showing each next to its field. */
export function fieldErrors(problem: Problem | null | undefined): Readonly<Record<string, string>> {
  const byField: Record<string, string> = {};
  for (const error of problem?.errors ?? []) {
    byField[error.field] ??= error.message;
  }
  return byField;
}
