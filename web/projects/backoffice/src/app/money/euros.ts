/*
 * Prices are typed in euros by people and sent to the command API in
 * integer cents. The conversion works on the text, never through
 * floating-point arithmetic (0.1 + 0.2 must not cost a cent).
 */

/** The command API's lowest price of a seat, in cents. */
export const MIN_PRICE_CENTS = 1;
/** The command API's highest price of a seat, in cents (EUR 10,000,000.00). */
export const MAX_PRICE_CENTS = 1_000_000_000;

// Either plain digits, or digits grouped by three with commas; at most two decimals.
const AMOUNT = /^(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.(\d{1,2}))?$/;

/**
 * An amount in euros as people type it — `1,200,000.50`, `1200000.5`,
 * `250000`, with or without `EUR`/`€` and spaces around — in integer cents;
 * null for anything else (a negative amount, three decimals, misplaced
 * commas, a number too large to be exact).
 */
export function eurosToCents(text: string): number | null {
  const cleaned = text
    .trim()
    .replace(/^(?:EUR|€)\s*/i, '')
    .replace(/\s*(?:EUR|€)$/i, '')
    .trim();
  const match = AMOUNT.exec(cleaned);
  if (!match) {
    return null;
  }
  const [whole, fraction = ''] = cleaned.replace(/,/g, '').split('.');
  const cents = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0') || '0');
  return cents <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(cents) : null;
}

/** Why a typed price cannot be sent, or null when it can. */
export function priceError(text: string): string | null {
  if (text.trim() === '') {
    return 'Enter the price of one seat in euros.';
  }
  const cents = eurosToCents(text);
  if (cents === null) {
    return 'Enter an amount in euros such as 250,000 or 1200000.50.';
  }
  if (cents < MIN_PRICE_CENTS || cents > MAX_PRICE_CENTS) {
    return 'A seat costs from EUR 0.01 to EUR 10,000,000.00.';
  }
  return null;
}
