import { clientName, parseAuthorizeQuery, redirectWithCode } from './authorize-request';

const query = (values: Record<string, string>) => (name: string) => values[name] ?? null;
const complete = {
  client_id: 'sales',
  redirect_uri: 'http://127.0.0.1:4200/auth/callback',
  code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  code_challenge_method: 'S256',
  state: 'xyz',
};

describe('the /authorize query', () => {
  it('reads a complete S256 request', () => {
    expect(parseAuthorizeQuery(query(complete))).toEqual({
      ok: true,
      query: { clientId: 'sales', redirectUri: complete.redirect_uri, codeChallenge: complete.code_challenge, state: 'xyz' },
    });
  });

  it('names what is missing', () => {
    const { state: _, client_id: __, ...rest } = complete;
    expect(parseAuthorizeQuery(query(rest))).toEqual({ ok: false, message: expect.stringContaining('client_id, state') });
  });

  it('refuses another challenge method than S256', () => {
    expect(parseAuthorizeQuery(query({ ...complete, code_challenge_method: 'plain' })).ok).toBe(false);
  });

  it('refuses a return address that is not http(s)', () => {
    expect(parseAuthorizeQuery(query({ ...complete, redirect_uri: 'javascript:alert(1)' })).ok).toBe(false);
  });

  it('adds the code and the state to the redirect URI, keeping its own query', () => {
    expect(redirectWithCode('http://127.0.0.1:4200/auth/callback?from=x#frag', 'c 1', 'st')).toBe(
      'http://127.0.0.1:4200/auth/callback?from=x&code=c+1&state=st',
    );
  });

  it('names the app the user signs in to', () => {
    expect(clientName('sales')).toBe('the sales site');
    expect(clientName('unknown')).toBe('the application');
  });
});
