import { rocketFormErrors } from './rocket-form';

describe('rocketFormErrors', () => {
  it('accepts a named rocket of 1 to 10,000 seats', () => {
    expect(rocketFormErrors({ name: 'Selene IV', capacity: 1 })).toEqual({});
    expect(rocketFormErrors({ name: 'Selene IV', capacity: 10_000 })).toEqual({});
  });

  it('asks for a name, and one of at most 100 characters', () => {
    expect(rocketFormErrors({ name: '  ', capacity: 4 })['name']).toBe('Enter the rocket’s name.');
    expect(rocketFormErrors({ name: 'x'.repeat(101), capacity: 4 })['name']).toContain('100 characters');
  });

  it('asks for a whole number of seats within the bounds', () => {
    for (const capacity of [null, 0, 10_001, 2.5]) {
      expect(rocketFormErrors({ name: 'A', capacity })['capacity']).toContain('from 1 to 10,000');
    }
  });
});
