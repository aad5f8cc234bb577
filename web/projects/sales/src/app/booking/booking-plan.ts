import { formatMoney } from '@astro/shared';

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
 * Why a booking was refused with 409, in words, from the launch as it is
 * now: not on sale any more, or fewer free seats than passengers.
 */
export function conflictMessage(
  launch: { readonly bookable: boolean; readonly free_seats: number; readonly status: string } | null,
  seatsWanted: number,
  serverDetail: string,
): string {
  if (!launch) {
    return `This booking could not be made: ${serverDetail}`;
  }
  if (launch.free_seats === 0) {
    return 'Sorry, this launch is now fully booked: no seats are left.';
  }
  if (!launch.bookable) {
    return `Sorry, this launch can no longer be booked (it is ${launch.status}).`;
  }
  if (launch.free_seats < seatsWanted) {
    return `Sorry, only ${seatsLabel(launch.free_seats)} ${launch.free_seats === 1 ? 'is' : 'are'} left on this launch, and you asked for ${seatsWanted}. Remove passengers to book the seats that are left.`;
  }
  return `This booking could not be made: ${serverDetail}`;
}
