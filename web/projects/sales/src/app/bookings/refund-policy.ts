/**
 * The refund a holder gets for cancelling, mirrored from
 * domain/src/policy.rs so that the amount is shown before confirming. The
 * server computes the refund it pays; this is the preview.
 */

const DAY_MS = 86_400_000;

/** Launch statuses that still sell (and let holders cancel) seats. */
const ON_SALE = new Set(['scheduled', 'confirmed', 'delayed']);

/**
 * Whole days between the cancellation and the departure, truncated toward
 * zero like chrono's `num_days` (23 h 59 min is 0 days; after departure it
 * is negative). Instants, so time zones do not matter: it is UTC arithmetic.
 */
export function wholeDaysBefore(departureAt: string | Date, cancelledAt: Date): number {
  // `|| 0` turns the -0 of a partial day after departure into 0.
  return Math.trunc((new Date(departureAt).getTime() - cancelledAt.getTime()) / DAY_MS) || 0;
}

/** 90 % at least 365 whole days before departure, 70 % at least 90, else 0. */
export function holderRefundPercent(departureAt: string | Date, cancelledAt: Date): 0 | 70 | 90 {
  const days = wholeDaysBefore(departureAt, cancelledAt);
  if (days >= 365) {
    return 90;
  }
  if (days >= 90) {
    return 70;
  }
  return 0;
}

/** `percent` of `totalCents`, rounded down to the cent. */
export function refundCents(totalCents: number, percent: number): number {
  return Math.floor((totalCents * percent) / 100);
}

/** What the cancellation dialog shows before the holder confirms. */
export interface RefundPreview {
  readonly percent: number;
  readonly cents: number;
}

/**
 * The refund a cancellation now would bring: in full when the launch was
 * aborted, else by the holder's policy.
 */
export function refundPreview(
  booking: { readonly total_cents: number },
  launch: { readonly departure_at: string; readonly status: string },
  now: Date,
): RefundPreview {
  const percent = launch.status === 'aborted' ? 100 : holderRefundPercent(launch.departure_at, now);
  return { percent, cents: refundCents(booking.total_cents, percent) };
}

/**
 * Whether the holder may still cancel: an active booking on a launch that
 * is on sale and has not departed (the server answers 409 otherwise).
 */
export function canCancel(
  booking: { readonly status: string },
  launch: { readonly departure_at: string; readonly status: string } | null | undefined,
  now: Date,
): boolean {
  return (
    booking.status === 'active' &&
    !!launch &&
    ON_SALE.has(launch.status) &&
    now.getTime() < new Date(launch.departure_at).getTime()
  );
}
