/** A valid `/authorize` query, as the auth app reads it. */
export interface AuthorizeQuery {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly state: string;
}

/** The query's verdict: a request to send the auth API, or why it cannot be one. */
export type AuthorizeQueryResult =
  | { readonly ok: true; readonly query: AuthorizeQuery }
  | { readonly ok: false; readonly message: string };

/**
 * Reads `/authorize`'s query. Only its shape is checked here (present,
 * S256); whether the client and its redirect URI are allowed is the auth
 * API's decision.
 */
export function parseAuthorizeQuery(get: (name: string) => string | null): AuthorizeQueryResult {
  const missing = ['client_id', 'redirect_uri', 'code_challenge', 'state'].filter((name) => !get(name)?.trim());
  if (missing.length > 0) {
    return { ok: false, message: `The sign-in link is incomplete: it lacks ${missing.join(', ')}.` };
  }
  if (get('code_challenge_method') !== 'S256') {
    return { ok: false, message: 'The sign-in link must use the S256 code challenge method.' };
  }
  let redirect: URL;
  try {
    redirect = new URL(get('redirect_uri')!);
  } catch {
    return { ok: false, message: 'The sign-in link names an invalid return address.' };
  }
  if (redirect.protocol !== 'http:' && redirect.protocol !== 'https:') {
    return { ok: false, message: 'The sign-in link names an invalid return address.' };
  }
  return {
    ok: true,
    query: {
      clientId: get('client_id')!,
      redirectUri: get('redirect_uri')!,
      codeChallenge: get('code_challenge')!,
      state: get('state')!,
    },
  };
}

/** The client's redirect URI with the code and the state added to its query (nothing in the fragment). */
export function redirectWithCode(redirectUri: string, code: string, state: string): string {
  const url = new URL(redirectUri);
  url.searchParams.set('code', code);
  url.searchParams.set('state', state);
  url.hash = '';
  return url.toString();
}

const CLIENT_NAMES: Readonly<Record<string, string>> = {
  sales: 'the sales site',
  ops: 'the IT console',
  backoffice: 'the backoffice',
};

/** How the sign-in page names the app the user signs in to. */
export function clientName(clientId: string): string {
  return CLIENT_NAMES[clientId] ?? 'the application';
}
