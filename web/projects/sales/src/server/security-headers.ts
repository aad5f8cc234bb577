/**
 * The headers every answer of the sales site's server carries.
 *
 * - `Referrer-Policy: same-origin`: the sign-in callback's URL holds a
 *   one-time authorization code, which must never reach another site in a
 *   Referer header.
 * - No framing (`frame-ancestors 'none'`, `X-Frame-Options`): nobody can
 *   overlay the booking buttons (clickjacking).
 * - The Content-Security-Policy restricts what has no use here (plugins,
 *   `<base>`, forms posting elsewhere) but not scripts: server-side
 *   rendering inlines Angular's event-replay script and hydration state;
 *   a hash-based script policy is the next step (Angular's `autoCsp`).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "frame-ancestors 'none'; base-uri 'self'; object-src 'none'; form-action 'self'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** Express middleware setting {@link SECURITY_HEADERS} on every answer. */
export function securityHeaders(
  _req: unknown,
  res: { set(headers: Record<string, string>): unknown },
  next: () => void,
): void {
  res.set({ ...SECURITY_HEADERS });
  next();
}
