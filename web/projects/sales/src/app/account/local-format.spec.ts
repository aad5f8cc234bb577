import { formatInstant, formatMoney, humanize } from './local-format';

describe('the account pages’ stopgap formatting', () => {
  it('writes cents as EUR with thousands separators and two decimals', () => {
    expect(formatMoney(25_000_000)).toBe('EUR 250,000.00');
    expect(formatMoney(75_000_000)).toBe('EUR 750,000.00');
    expect(formatMoney(5)).toBe('EUR 0.05');
    expect(formatMoney(0)).toBe('EUR 0.00');
    expect(formatMoney(123_456_789_01)).toBe('EUR 123,456,789.01');
    expect(formatMoney(-150)).toBe('-EUR 1.50');
  });

  it('writes an instant in UTC by default and in another zone when asked', () => {
    expect(formatInstant('2030-06-15T10:00:00Z')).toBe('15 Jun 2030, 10:00 UTC');
    expect(formatInstant('2030-06-15T10:00:00Z', 'Europe/Paris')).toMatch(/15 Jun 2030, 12:00/);
  });

  it('leaves a text that is not an instant as it is', () => {
    expect(formatInstant('soon')).toBe('soon');
  });

  it('turns API names into words', () => {
    expect(humanize('low_earth_orbit')).toBe('Low earth orbit');
    expect(humanize('moon')).toBe('Moon');
  });
});
