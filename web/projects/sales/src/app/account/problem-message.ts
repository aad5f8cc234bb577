import { Problem, problemCode } from '@astro/shared';

/**
 * The sentence an account page shows for a failed call, with what to do
 * next. `retrySafe` says that sending again cannot do the thing twice (the
 * call carried an Idempotency-Key).
 */
export function problemMessage(problem: Problem, retrySafe = false): string {
  switch (problem.status) {
    case 0:
      return retrySafe
        ? 'We could not reach Astro Bookings. Check your connection and try again: it will not be done twice.'
        : 'We could not reach Astro Bookings. Check your connection and try again.';
    case 401:
      return 'Your session has ended. Please sign in again.';
    case 403:
      return 'Your account is not allowed to do this.';
    case 404:
      return 'We could not find it: it may have been removed.';
    case 409:
      return conflictWords(problem);
    case 429:
    case 503:
      return problem.retryAfterSeconds
        ? `The service is busy. Please try again in ${problem.retryAfterSeconds} seconds.`
        : 'The service is busy. Please try again in a moment.';
    default:
      return problem.detail || problem.title || 'Something went wrong. Please try again.';
  }
}

/** A 409 of the account pages in words, by its type; the server's words for a type without its own. */
function conflictWords(problem: Problem): string {
  switch (problemCode(problem)) {
    case 'booking-already-cancelled':
      return 'This booking is already cancelled.';
    case 'launch-departed':
      return 'This launch has departed: its bookings can no longer be changed.';
    default:
      return problem.detail || problem.title || 'This could not be done now. Please reload and try again.';
  }
}

/** A server field message as a sentence: `must not be blank` → `Must not be blank.` */
export function asSentence(message: string): string {
  const trimmed = message.trim();
  if (trimmed === '') {
    return trimmed;
  }
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
