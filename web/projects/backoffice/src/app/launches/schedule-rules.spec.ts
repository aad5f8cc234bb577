import { OTHER_ROCKET, ScheduleFormValue, chosenRocketId, scheduleErrors, toScheduleLaunch } from './schedule-rules';

const NOW = new Date(2027, 0, 1, 12, 0);
const valid: ScheduleFormValue = {
  rocket: 'rocket-1',
  rocketId: '',
  spaceport: ' Kourou ',
  destination: 'moon',
  departure: '2027-06-01T09:30',
  price: '1,200,000.50',
};

describe('schedule rules', () => {
  it('accepts a complete form and sends the price in cents and the departure in UTC', () => {
    expect(scheduleErrors(valid, NOW)).toEqual({});
    expect(toScheduleLaunch(valid)).toEqual({
      rocket_id: 'rocket-1',
      spaceport: 'Kourou',
      destination: 'moon',
      departure_at: new Date(2027, 5, 1, 9, 30).toISOString(),
      price_per_seat_cents: 120_000_050,
    });
  });

  it('takes the typed rocket id when the picker says another rocket', () => {
    expect(chosenRocketId({ rocket: OTHER_ROCKET, rocketId: ' abc ' })).toBe('abc');
    expect(chosenRocketId({ rocket: 'r-1', rocketId: 'abc' })).toBe('r-1');
  });

  it("names each missing field by the API's field name", () => {
    const errors = scheduleErrors({ ...valid, rocket: OTHER_ROCKET, spaceport: '', departure: '', price: '' }, NOW);
    expect(Object.keys(errors).sort()).toEqual(['departure_at', 'price_per_seat_cents', 'rocket_id', 'spaceport']);
  });

  it('refuses a departure in the past and a price it cannot read', () => {
    const errors = scheduleErrors({ ...valid, departure: '2026-12-31T09:00', price: '12,34' }, NOW);
    expect(errors['departure_at']).toBe('The departure must be in the future.');
    expect(errors['price_per_seat_cents']).toContain('such as 250,000');
    expect(toScheduleLaunch({ ...valid, price: '12,34' })).toBeNull();
  });

  it('refuses a spaceport longer than the API allows', () => {
    expect(scheduleErrors({ ...valid, spaceport: 'x'.repeat(101) }, NOW)['spaceport']).toContain('100 characters');
  });
});
