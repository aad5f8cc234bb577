import { confirmLabel, conflictMessage, freeSeatsAtRefusal, seatsLabel, totalCents } from './booking-plan';

describe('the price preview', () => {
  it('multiplies seats by the price per seat in integer cents', () => {
    expect(totalCents(3, 25_000_000)).toBe(75_000_000);
    expect(totalCents(6, 1_000_000_000)).toBe(6_000_000_000);
    expect(totalCents(1, 1)).toBe(1);
  });

  it('says what the confirming click books and costs', () => {
    expect(confirmLabel(3, 25_000_000)).toBe('Book 3 seats for EUR 750,000.00');
    expect(confirmLabel(1, 25_000_000)).toBe('Book 1 seat for EUR 250,000.00');
  });

  it('writes one seat in the singular', () => {
    expect(seatsLabel(1)).toBe('1 seat');
    expect(seatsLabel(2)).toBe('2 seats');
  });
});

describe('the 409 message', () => {
  // A detail without the command API's count: the seats read afterwards decide.
  const notEnough = { type: '/problems/not-enough-seats', detail: 'not enough seats' };
  const counted = (free: number, requested: number) => ({
    type: '/problems/not-enough-seats',
    detail: `only ${free} seats are free, ${requested} requested`,
  });

  it("believes the command API's count at the refusal over a read model that has not caught up", () => {
    expect(conflictMessage(counted(0, 1), 1, 1)).toMatch(/fully booked/);
    expect(conflictMessage(counted(1, 2), 2, 4)).toMatch(/only 1 seat is left/);
  });

  it("reads the command API's count from its detail, and nothing from another detail", () => {
    expect(freeSeatsAtRefusal('only 0 seats are free, 2 requested')).toBe(0);
    expect(freeSeatsAtRefusal('only 12 seats are free, 13 requested')).toBe(12);
    expect(freeSeatsAtRefusal('the launch is not on sale')).toBeNull();
  });

  it('says how many seats are left when there are fewer than asked for', () => {
    expect(conflictMessage(notEnough, 2, 1)).toBe(
      'Sorry, only 1 seat is left on this launch, and you asked for 2. Remove passengers to book the seats that are left.',
    );
    expect(conflictMessage(notEnough, 5, 3)).toMatch(/only 3 seats are left/);
  });

  it('says a launch with no seat left is fully booked', () => {
    expect(conflictMessage(notEnough, 1, 0)).toMatch(/fully booked/);
  });

  it('says there are not enough seats when the seats left could not be read', () => {
    expect(conflictMessage(notEnough, 2, null)).toMatch(/^Sorry, there are not enough free seats left/);
  });

  it('asks to try again when seats were freed since the refusal', () => {
    expect(conflictMessage(notEnough, 2, 3)).toBe(
      'The free seats changed while you were booking: 3 seats are left now. Please try again.',
    );
  });

  it('says a launch that stopped selling is not on sale, with the server’s reason', () => {
    expect(
      conflictMessage({ type: '/problems/wrong-launch-status', detail: 'cannot book a launch that is aborted' }, 1, null),
    ).toBe('Sorry, this launch is not on sale any more (cannot book a launch that is aborted).');
  });

  it('says a departed launch can no longer be booked', () => {
    expect(conflictMessage({ type: '/problems/launch-departed', detail: 'the launch has departed' }, 1, null)).toBe(
      'Sorry, this launch has departed: it can no longer be booked.',
    );
  });

  it('falls back to the server’s words for another or no type', () => {
    expect(conflictMessage({ type: '/problems/duplicate-booking', detail: 'booking b already exists' }, 1, 4)).toBe(
      'This booking could not be made: booking b already exists',
    );
    expect(conflictMessage({ type: 'about:blank', detail: 'odd' }, 1, 4)).toMatch(/odd$/);
  });
});
