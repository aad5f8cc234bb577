import { confirmLabel, conflictMessage, seatsLabel, totalCents } from './booking-plan';

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
  const launch = { bookable: true, free_seats: 1, status: 'confirmed' };

  it('says how many seats are left when there are fewer than asked for', () => {
    expect(conflictMessage(launch, 2, 'only 1 seats are free, 2 requested')).toBe(
      'Sorry, only 1 seat is left on this launch, and you asked for 2. Remove passengers to book the seats that are left.',
    );
    expect(conflictMessage({ ...launch, free_seats: 3 }, 5, '')).toMatch(/only 3 seats are left/);
  });

  it('says a launch with no seat left is fully booked', () => {
    expect(conflictMessage({ bookable: false, free_seats: 0, status: 'confirmed' }, 1, '')).toMatch(/fully booked/);
  });

  it('says a launch that stopped selling cannot be booked, with its status', () => {
    expect(conflictMessage({ bookable: false, free_seats: 4, status: 'aborted' }, 1, '')).toBe(
      'Sorry, this launch can no longer be booked (it is aborted).',
    );
  });

  it('falls back to the server’s words when the launch is unknown or seems fine', () => {
    expect(conflictMessage(null, 1, 'the launch has departed')).toMatch(/the launch has departed$/);
    expect(conflictMessage({ ...launch, free_seats: 5 }, 2, 'odd')).toMatch(/odd$/);
  });
});
