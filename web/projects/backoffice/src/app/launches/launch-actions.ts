/*
 * The lifecycle commands operations gives a launch, which of them a status
 * allows, and what the page says of their answers. The command API decides
 * (409 for a wrong status, e.g. "launched" before departure): the page
 * offers only what the status allows so that the usual refusals do not happen.
 */
import type { Problem } from '@astro/shared';
import type { LaunchReply } from '@astro/shared/api/command-api/models/launch-reply';

/** A lifecycle command. */
export type LaunchAction = 'confirm' | 'delay' | 'abort' | 'launched';

/** Each command's button, confirmation question and past tense. */
export const ACTIONS: Readonly<Record<LaunchAction, { readonly label: string; readonly question: string; readonly done: string }>> = {
  confirm: { label: 'Confirm', question: 'Confirm that this launch will fly?', done: 'Launch confirmed.' },
  delay: { label: 'Delay', question: 'Move this launch to a later departure?', done: 'Launch delayed.' },
  abort: {
    label: 'Abort',
    question: 'Abort this launch? Every active booking is refunded in full. This cannot be undone.',
    done: 'Launch aborted.',
  },
  launched: { label: 'Mark launched', question: 'Record that this launch has lifted off?', done: 'Lift-off recorded.' },
};

const BY_STATUS: Readonly<Record<string, readonly LaunchAction[]>> = {
  scheduled: ['confirm', 'delay', 'abort'],
  confirmed: ['launched', 'delay', 'abort'],
  delayed: ['confirm', 'delay', 'abort'],
};

/** The commands a launch of `status` can take (none once it has flown or been aborted). */
export function actionsFor(status: string): readonly LaunchAction[] {
  return BY_STATUS[status] ?? [];
}

/** `1 booking refunded in full`, `3 bookings …`, `No booking to refund`. */
export function refundedLabel(count: number): string {
  if (count === 0) {
    return 'No booking to refund.';
  }
  return count === 1 ? '1 booking refunded in full.' : `${count} bookings refunded in full.`;
}

/** What the page says once a command succeeded. */
export function outcomeMessage(action: LaunchAction, reply: Pick<LaunchReply, 'refunded_bookings'>): string {
  return action === 'abort' ? `${ACTIONS.abort.done} ${refundedLabel(reply.refunded_bookings)}` : ACTIONS[action].done;
}

/** What the page says when a command is refused (field errors aside, shown next to their fields). */
export function refusalMessage(action: LaunchAction, problem: Pick<Problem, 'status' | 'detail'>): string {
  switch (problem.status) {
    case 409:
      return `This launch cannot be ${pastParticiple(action)} now: ${problem.detail}`;
    case 404:
      return 'This launch no longer exists. Reload the list.';
    case 403:
      return 'Your account may not change launches. Only operations employees can.';
    default:
      return problem.detail;
  }
}

function pastParticiple(action: LaunchAction): string {
  return { confirm: 'confirmed', delay: 'delayed', abort: 'aborted', launched: 'marked launched' }[action];
}

/**
 * A `datetime-local` value (the browser's wall clock, `2027-03-12T09:30`)
 * as RFC 3339 in UTC, or null when it is not a time.
 */
export function localToIso(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) {
    return null;
  }
  const instant = new Date(value);
  return Number.isNaN(instant.getTime()) ? null : instant.toISOString();
}

/** An instant as a `datetime-local` value on the browser's wall clock (`2027-03-12T09:30`). */
export function isoToLocal(iso: string): string {
  const instant = new Date(iso);
  if (Number.isNaN(instant.getTime())) {
    return '';
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${instant.getFullYear()}-${pad(instant.getMonth() + 1)}-${pad(instant.getDate())}T${pad(instant.getHours())}:${pad(
    instant.getMinutes(),
  )}`;
}
