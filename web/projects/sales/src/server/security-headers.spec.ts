import { SECURITY_HEADERS, securityHeaders } from './security-headers';

describe("the sales site's security headers", () => {
  it('are set on every answer, then the request goes on', () => {
    const set: Record<string, string>[] = [];
    const next = jest.fn();
    securityHeaders({}, { set: (headers) => set.push(headers) }, next);
    expect(set).toEqual([SECURITY_HEADERS]);
    expect(next).toHaveBeenCalledTimes(1);
  });

  it('never let the sign-in callback URL (its one-time code) reach another site', () => {
    expect(SECURITY_HEADERS['Referrer-Policy']).toBe('same-origin');
  });

  it('forbid framing the site', () => {
    expect(SECURITY_HEADERS['X-Frame-Options']).toBe('DENY');
    expect(SECURITY_HEADERS['Content-Security-Policy']).toContain("frame-ancestors 'none'");
  });
});
