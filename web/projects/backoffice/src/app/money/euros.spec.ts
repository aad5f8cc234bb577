import { eurosToCents, priceError } from './euros';

describe('eurosToCents', () => {
  it.each([
    ['1,200,000.50', 120_000_050],
    ['1200000.5', 120_000_050],
    ['250000', 25_000_000],
    ['250,000.00', 25_000_000],
    ['0.01', 1],
    ['  EUR 1,000 ', 100_000],
    ['99.9 €', 9_990],
    ['0.29', 29],
  ])('reads %p as %p cents', (text, cents) => {
    expect(eurosToCents(text)).toBe(cents);
  });

  it.each(['', 'abc', '-5', '1.234', '12,34', '1,2345', '1,200,000,', '1.2.3', '1e6', '90071992547409.92'])(
    'refuses %p',
    (text) => {
      expect(eurosToCents(text)).toBeNull();
    },
  );
});

describe('priceError', () => {
  it('accepts a price within the API bounds', () => {
    expect(priceError('250,000')).toBeNull();
    expect(priceError('10,000,000.00')).toBeNull();
  });

  it('asks for a price when the field is empty', () => {
    expect(priceError(' ')).toBe('Enter the price of one seat in euros.');
  });

  it('explains the format of an amount it cannot read', () => {
    expect(priceError('a lot')).toContain('such as 250,000');
  });

  it('refuses nothing and more than ten million euros', () => {
    expect(priceError('0')).toContain('from EUR 0.01 to EUR 10,000,000.00');
    expect(priceError('10,000,000.01')).toContain('from EUR 0.01');
  });
});
