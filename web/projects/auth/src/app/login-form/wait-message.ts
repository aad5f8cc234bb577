/** "Too many attempts" with the time left, in the unit a person would say it. */
export function waitMessage(seconds: number): string {
  const left = Math.max(1, Math.ceil(seconds));
  if (left >= 60) {
    const minutes = Math.ceil(left / 60);
    return `Too many attempts. Try again in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}.`;
  }
  return `Too many attempts. Try again in ${left} ${left === 1 ? 'second' : 'seconds'}.`;
}
