import { Problem, formatMoney, problemCode } from '@astro/shared';

/** Seats × price per seat, in integer cents (one seat per passenger). */
export function totalCents(seats: number, pricePerSeatCents: number): number {
  return seats * pricePerSeatCents;
}

/** "1 seat", "3 seats". */
export function seatsLabel(seats: number): string {
  return seats === 1 ? '1 seat' : `${seats} seats`;
}

/** The confirming button's words: "Book 3 seats for EUR 750,000.00". */
export function confirmLabel(seats: number, pricePerSeatCents: number): string {
  return `Book ${seatsLabel(seats)} for ${formatMoney(totalCents(seats, pricePerSeatCents))}`;
}

/**
 * The free seats the command API counted when it refused a booking, from
 * its detail ("only 0 seats are free, 2 requested"; domain/src/launch.rs),
 * or null when the detail does not say. It is the authoritative figure at
 * the moment of the refusal: the sales read model may not show the booking
 * that took the seats yet.
 */
export function freeSeatsAtRefusal(detail: string): number | null {
  const match = /\bonly (\d+) seats? (?:are|is) free\b/.exec(detail);
  return match ? Number(match[1]) : null;
}

/**
 * Why a booking was refused with 409, in words, from the problem's type
 * (`/problems/not-enough-seats`, `wrong-launch-status`, `launch-departed`)
 * and detail. `readFreeSeats` is the launch's free seats read after the
 * refusal, for "only N left" when the detail does not give the command
 * API's own count; null when it could not be read.
 */
export function conflictMessage(
  problem: Pick<Problem, 'type' | 'detail'>,
  seatsWanted: number,
  readFreeSeats: number | null,
): string {
  switch (problemCode(problem)) {
    case 'not-enough-seats': {
      const freeSeats = freeSeatsAtRefusal(problem.detail) ?? readFreeSeats;
      if (freeSeats === 0) {
        return 'Sorry, this launch is now fully booked: no seats are left.';
      }
      if (freeSeats === null) {
        return 'Sorry, there are not enough free seats left on this launch for all your passengers. Remove passengers and try again.';
      }
      if (freeSeats < seatsWanted) {
        return `Sorry, only ${seatsLabel(freeSeats)} ${freeSeats === 1 ? 'is' : 'are'} left on this launch, and you asked for ${seatsWanted}. Remove passengers to book the seats that are left.`;
      }
      // Someone cancelled between the refusal and the read.
      return `The free seats changed while you were booking: ${seatsLabel(freeSeats)} ${freeSeats === 1 ? 'is' : 'are'} left now. Please try again.`;
    }
    case 'wrong-launch-status':
      return `Sorry, this launch is not on sale any more (${problem.detail}).`;
    case 'launch-departed':
      return 'Sorry, this launch has departed: it can no longer be booked.';
    default:
      return `This booking could not be made: ${problem.detail}`;
  }
}
