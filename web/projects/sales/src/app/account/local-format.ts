/**
 * Minimal money and date formatting for the account pages. PRIVATE STOPGAP:
 * the shared `format.ts` (another engineer's work) replaces these; the
 * outputs follow the same conventions (`EUR 250,000.00`) so the swap is a
 * change of import.
 */

/** Integer cents as `EUR 250,000.00` (a minus sign first when negative). */
export function formatMoney(cents: number, currency = 'EUR'): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(cents));
  const units = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const rest = (abs % 100).toString().padStart(2, '0');
  return `${sign}${currency} ${units}.${rest}`;
}

/**
 * An instant in UTC, e.g. `15 Jun 2030, 10:00 UTC`, and in the viewer's own
 * zone when `timeZone` is given. Fixed English wording so that server and
 * browser render the same text.
 */
export function formatInstant(iso: string, timeZone = 'UTC'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  const text = new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
    timeZoneName: 'short',
  }).format(date);
  return text;
}

/** `low_earth_orbit` → `Low Earth orbit`: an API name as words. */
export function humanize(name: string): string {
  const words = name.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
