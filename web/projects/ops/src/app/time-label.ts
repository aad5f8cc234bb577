/**
 * An instant for IT, in UTC to the second (`10 Jan 2027, 11:59:05 UTC`): the
 * logs and the services speak UTC, and comparing them must need no mental
 * conversion. An empty value gives `—`; a value that is not an instant is shown as it came.
 */
export function utcLabel(iso: string | null | undefined): string {
  if (!iso) {
    return '—';
  }
  const instant = new Date(iso);
  if (Number.isNaN(instant.getTime())) {
    return iso;
  }
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${instant.getUTCDate()} ${months[instant.getUTCMonth()]} ${instant.getUTCFullYear()}, ` +
    `${two(instant.getUTCHours())}:${two(instant.getUTCMinutes())}:${two(instant.getUTCSeconds())} UTC`
  );
}
