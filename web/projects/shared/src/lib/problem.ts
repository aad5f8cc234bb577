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
  /**
   * What kind of problem: the services' `/problems/<code>` (e.g.
   * `/problems/not-enough-seats`), or `about:blank` when the answer named
   * none (RFC 9457's default), as for a network failure.
   */
  readonly type: string;
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

/** What to tell the user when an answer carries no problem document of its own. */
const GENERIC: Readonly<Record<number, readonly [title: string, detail: string]>> = {
  400: ['Bad request', 'The request was not understood. Please reload the page and try again.'],
  401: ['Not signed in', 'Your session has ended. Please sign in again.'],
  403: ['Not allowed', 'Your account is not allowed to do this.'],
  404: ['Not found', 'We could not find what you asked for.'],
  409: ['Conflict', 'This could not be done in the current state. Please reload and try again.'],
  422: ['Invalid data', 'Some fields need your attention.'],
  429: ['Too many requests', 'Too many attempts. Please wait a moment and try again.'],
  503: ['Unavailable', 'The service is busy. Please try again shortly.'],
};

/** RFC 9457's type of a problem that names none. */
const BLANK = 'about:blank';

const SERVER_ERROR = ['Service error', 'Something went wrong on our side. Please try again shortly.'] as const;

/**
 * The problem an HTTP call failed with: the problem+json body when there is
 * one (also when it arrived as text), a friendly sentence by status
 * otherwise, "cannot reach the service" for a network failure (status 0),
 * and `Retry-After` (seconds or an HTTP date) as `retryAfterSeconds`.
 */
export function toProblem(error: unknown): Problem {
  if (!(error instanceof HttpErrorResponse)) {
    return {
      type: BLANK,
      status: 0,
      title: 'Unexpected error',
      detail: 'Something went wrong. Please try again.',
      errors: [],
    };
  }
  if (error.status === 0) {
    return {
      type: BLANK,
      status: 0,
      title: 'Network error',
      detail: 'We cannot reach the service. Check your connection and try again.',
      errors: [],
    };
  }
  const body = problemBody(error.error);
  const [title, detail] = GENERIC[error.status] ?? (error.status >= 500 ? SERVER_ERROR : ['Error', `The request failed (${error.status}).`]);
  const retryAfterSeconds = parseRetryAfter(error.headers?.get('Retry-After') ?? null);
  return {
    type: nonBlank(body?.['type'])?.trim() ?? BLANK,
    status: error.status,
    title: nonBlank(body?.['title']) ?? title,
    detail: nonBlank(body?.['detail']) ?? detail,
    errors: fieldProblems(body?.['errors']),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  };
}

/**
 * The stable code of a problem's type, the last segment of
 * `/problems/<code>` (relative or absolute): `not-enough-seats`; null for
 * `about:blank` or a type of another form.
 */
export function problemCode(problem: Pick<Problem, 'type'>): string | null {
  return /(?:^|\/)problems\/([a-z0-9-]+)$/i.exec(problem.type)?.[1] ?? null;
}

/** `Retry-After` in whole seconds from `now` (delay-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') {
    return undefined;
  }
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) {
    return Number(trimmed);
  }
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** The fields of a problem document, whether it arrived parsed or as text (HTML and other text give null). */
function problemBody(body: unknown): Record<string, unknown> | null {
  if (typeof body === 'string') {
    try {
      return problemBody(JSON.parse(body));
    } catch {
      return null;
    }
  }
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
}

function nonBlank(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function fieldProblems(value: unknown): FieldProblem[] {
  if (!Array.isArray(value)) {
    return [];
  }
  return value.flatMap((item: unknown) => {
    if (typeof item !== 'object' || item === null) {
      return [];
    }
    const { field, code, message } = item as Record<string, unknown>;
    return typeof field === 'string' && typeof message === 'string'
      ? [{ field, code: typeof code === 'string' ? code : 'invalid', message }]
      : [];
  });
}

/** The 422 field errors by field path, for showing each next to its field. */
export function fieldErrors(problem: Problem | null | undefined): Readonly<Record<string, string>> {
  const byField: Record<string, string> = {};
  for (const error of problem?.errors ?? []) {
    byField[error.field] ??= error.message;
  }
  return byField;
}
