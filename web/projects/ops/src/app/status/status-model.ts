/*
 * How the status page reads the system's state: which tone a part gets,
 * the words said next to the colour (never colour alone), how fresh the
 * last answer is, and when to ask again. Pure functions, tested without a DOM.
 */

/** How a part of the system is doing, for its colour and its badge. */
export type Tone = 'ok' | 'warn' | 'bad';

/** Poll every 3 s while all is well. */
export const POLL_MS = 3000;
/** Never wait longer than this between two attempts, even after many failures. */
export const MAX_BACKOFF_MS = 30_000;

/** The tone of a service's `status` (`ready`, `degraded`, `halted`, `unavailable`, `unreachable`). */
export function serviceTone(status: string): Tone {
  if (status === 'ready') {
    return 'ok';
  }
  return status === 'degraded' ? 'warn' : 'bad';
}

/** The tone of an overall, stream, projection or parking status (`ok`, `degraded`, anything else). */
export function partTone(status: string): Tone {
  if (status === 'ok') {
    return 'ok';
  }
  return status === 'degraded' ? 'warn' : 'bad';
}

const SERVICE_LABELS: Readonly<Record<string, string>> = {
  ready: 'ready',
  degraded: 'degraded: it serves, with parked events',
  halted: 'halted: the finance projection stopped',
  unavailable: 'unavailable: a dependency is down',
  unreachable: 'unreachable: no answer',
};

/** What a service's status says in words, e.g. `unreachable: no answer`. */
export function serviceLabel(status: string): string {
  return SERVICE_LABELS[status] ?? status;
}

/**
 * How long ago `checkedAt` was, for "updated N s ago": whole seconds,
 * never negative (the server's clock may run a little ahead of the browser's).
 */
export function secondsSince(checkedAt: number, now: number): number {
  return Math.max(0, Math.floor((now - checkedAt) / 1000));
}

/** `updated 4 s ago`, `updated 2 min ago`. */
export function freshnessLabel(seconds: number): string {
  if (seconds < 120) {
    return `updated ${seconds} s ago`;
  }
  return `updated ${Math.floor(seconds / 60)} min ago`;
}

/**
 * Whether the shown state is too old to trust: more than three polls
 * missed (the page then says so, instead of showing an old "all green").
 */
export function isStale(seconds: number): boolean {
  return seconds * 1000 > 3 * POLL_MS + 1000;
}

/**
 * How long to wait before the next poll after `failures` failed polls in a
 * row: 3 s when all is well, then doubling (6, 12, 24 s) up to 30 s, so that
 * a struggling query API is not hammered by every open console.
 */
export function nextDelay(failures: number): number {
  if (failures <= 0) {
    return POLL_MS;
  }
  return Math.min(MAX_BACKOFF_MS, POLL_MS * 2 ** Math.min(failures, 10));
}

/** A lag in seconds for people: `caught up`, `12 s behind`, `3 min behind`, `unknown`. */
export function lagLabel(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) {
    return 'unknown';
  }
  if (seconds <= 0) {
    return 'caught up';
  }
  return seconds < 120 ? `${Math.round(seconds)} s behind` : `${Math.floor(seconds / 60)} min behind`;
}

/**
 * A service's version from the body of its `/ready`, or null: the services
 * do not report one yet, and the page says so rather than guess.
 */
export function versionOf(body: unknown): string | null {
  const version = isRecord(body) ? body['version'] : null;
  return typeof version === 'string' && version.trim() !== '' ? version : null;
}

/**
 * What a service's `/ready` says of its dependencies, e.g.
 * `mongo: up · postgres: down`: every plain field but `status` and `version`.
 */
export function dependenciesOf(body: unknown): string {
  if (!isRecord(body)) {
    return '';
  }
  return Object.entries(body)
    .filter(([key, value]) => key !== 'status' && key !== 'version' && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'))
    .map(([key, value]) => `${key}: ${String(value)}`)
    .join(' · ');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
