import { utcLabel } from './time-label';

describe('utcLabel', () => {
  it('shows an instant in UTC to the second, whatever offset it came with', () => {
    expect(utcLabel('2027-01-10T11:59:05Z')).toBe('10 Jan 2027, 11:59:05 UTC');
    expect(utcLabel('2027-01-10T00:30:00+02:00')).toBe('9 Jan 2027, 22:30:00 UTC');
  });

  it('shows a dash for no value, and an unreadable value as it came', () => {
    expect(utcLabel(null)).toBe('—');
    expect(utcLabel('')).toBe('—');
    expect(utcLabel('soon')).toBe('soon');
  });
});
