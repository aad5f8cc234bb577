import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';

import { s256Challenge } from './pkce';
import { REFRESH_MARGIN_MS, Session, SignInError, authorizeUrl } from './session';
import { FakeLocation, TEST_CONFIG, configureSignOn, installWebCrypto, tokens } from './testing/sign-on-testing';

const AUTH = TEST_CONFIG.authApiUrl;
const SESSION_KEY = 'astro.sales.session';
const PENDING_KEY = 'astro.sales.sign-in';
/** Lets the awaited steps before an HTTP call run (one macrotask turn, no waiting). */
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe('the session', () => {
  let location: FakeLocation;
  let http: HttpTestingController;

  beforeAll(installWebCrypto);

  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    location = configureSignOn();
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => {
    http.verify();
    jest.restoreAllMocks();
  });

  const pending = () => JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as Record<string, string> | null;

  /** A session signed in with `overrides` of the token response. */
  const signedIn = (overrides: Parameters<typeof tokens>[0] = {}) => {
    const session = TestBed.inject(Session);
    session.establish(tokens(overrides));
    return session;
  };

  describe('signing in', () => {
    it('sends the browser to the auth app with the S256 challenge of a stored verifier and a state', async () => {
      await TestBed.inject(Session).signIn('/bookings');
      const url = new URL(location.visited[0]);
      expect(`${url.origin}${url.pathname}`).toBe('http://127.0.0.1:4201/authorize');
      const stored = pending();
      expect(stored).toMatchObject({ returnUrl: '/bookings', redirectUri: 'http://localhost/auth/callback' });
      expect(Object.fromEntries(url.searchParams)).toEqual({
        client_id: 'sales',
        redirect_uri: 'http://localhost/auth/callback',
        code_challenge: await s256Challenge(stored!['verifier']),
        code_challenge_method: 'S256',
        state: stored!['state'],
      });
      // The verifier itself never travels in the URL.
      expect(location.visited[0]).not.toContain(stored!['verifier']);
    });

    it('keeps a return URL to another site out of the sign-in', async () => {
      await TestBed.inject(Session).signIn('https://evil.example/phish');
      expect(pending()?.['returnUrl']).toBe('/');
    });

    it('builds the authorize URL with every parameter encoded', () => {
      const url = authorizeUrl('http://auth.example', {
        clientId: 'sales',
        redirectUri: 'http://sales.example/auth/callback?x=1&y=2',
        codeChallenge: 'abc',
        state: 's t',
      });
      expect(new URL(url).searchParams.get('redirect_uri')).toBe('http://sales.example/auth/callback?x=1&y=2');
      expect(new URL(url).searchParams.get('state')).toBe('s t');
    });
  });

  describe('completing the sign-in on the callback', () => {
    it('refuses a state that does not match and exchanges nothing', async () => {
      const session = TestBed.inject(Session);
      await session.signIn('/bookings');
      await expect(session.completeSignIn('code-1', 'forged-state')).rejects.toMatchObject({ reason: 'state' });
      http.expectNone(`${AUTH}/v1/auth/token`);
      expect(session.signedIn()).toBe(false);
    });

    it('refuses a callback when no sign-in was started in this tab', async () => {
      await expect(TestBed.inject(Session).completeSignIn('code-1', 'any')).rejects.toBeInstanceOf(SignInError);
      http.expectNone(`${AUTH}/v1/auth/token`);
    });

    it('exchanges the code with its verifier, keeps the session and answers the return URL', async () => {
      const session = TestBed.inject(Session);
      await session.signIn('/bookings?page=2');
      const { state, verifier } = pending()!;
      const done = session.completeSignIn('code-1', state);
      await nextTask();
      const request = http.expectOne(`${AUTH}/v1/auth/token`);
      expect(request.request.method).toBe('POST');
      expect(request.request.headers.has('Authorization')).toBe(false);
      expect(request.request.body).toEqual({
        grant_type: 'authorization_code',
        code: 'code-1',
        code_verifier: verifier,
        client_id: 'sales',
        redirect_uri: 'http://localhost/auth/callback',
      });
      request.flush(tokens({ role: 'agency' }));
      await expect(done).resolves.toBe('/bookings?page=2');
      expect(session.user()).toEqual({ userId: tokens().user_id, role: 'agency' });
      await expect(session.accessToken()).resolves.toBe('access-1');
      // Only the refresh token is stored; the access token stays in memory.
      const stored = localStorage.getItem(SESSION_KEY)!;
      expect(stored).toContain('refresh-1');
      expect(stored).not.toContain('access-1');
    });

    it('uses a sign-in only once: a replayed callback is refused', async () => {
      const session = TestBed.inject(Session);
      await session.signIn('/');
      const { state } = pending()!;
      const first = session.completeSignIn('code-1', state);
      await nextTask();
      http.expectOne(`${AUTH}/v1/auth/token`).flush(tokens());
      await first;
      await expect(session.completeSignIn('code-1', state)).rejects.toMatchObject({ reason: 'state' });
    });

    it('reports a code the auth API refuses as a sign-in to start again', async () => {
      const session = TestBed.inject(Session);
      await session.signIn('/profile');
      const done = session.completeSignIn('used-code', pending()!['state']);
      await nextTask();
      http.expectOne(`${AUTH}/v1/auth/token`).flush({ title: 'Unauthorized' }, { status: 401, statusText: 'Unauthorized' });
      await expect(done).rejects.toMatchObject({ reason: 'exchange', returnUrl: '/profile' });
      expect(session.signedIn()).toBe(false);
    });

    it('answers only a path of the app even when the stored return URL was tampered with', async () => {
      sessionStorage.setItem(
        PENDING_KEY,
        JSON.stringify({ state: 's', verifier: 'v'.repeat(43), returnUrl: 'https://evil.example', redirectUri: 'http://localhost/auth/callback' }),
      );
      const done = TestBed.inject(Session).completeSignIn('code-1', 's');
      await nextTask();
      http.expectOne(`${AUTH}/v1/auth/token`).flush(tokens());
      await expect(done).resolves.toBe('/');
    });
  });

  describe('keeping the access token fresh', () => {
    it('does not refresh a token far from its expiry', async () => {
      await expect(signedIn().accessToken()).resolves.toBe('access-1');
      http.expectNone(`${AUTH}/v1/auth/refresh`);
    });

    it('refreshes once for several calls at once, since a refresh token works once', async () => {
      const session = signedIn({ expires_in: REFRESH_MARGIN_MS / 1000 - 1 });
      const answers = Promise.all([session.accessToken(), session.accessToken(), session.accessToken()]);
      await nextTask();
      const request = http.expectOne(`${AUTH}/v1/auth/refresh`);
      expect(request.request.body).toEqual({ refresh_token: 'refresh-1' });
      request.flush(tokens({ token: 'access-2', refresh_token: 'refresh-2' }));
      await expect(answers).resolves.toEqual(['access-2', 'access-2', 'access-2']);
    });

    it('uses the rotated refresh token for the next refresh', async () => {
      const session = signedIn({ expires_in: 1 });
      const first = session.accessToken();
      await nextTask();
      http.expectOne(`${AUTH}/v1/auth/refresh`).flush(tokens({ token: 'access-2', refresh_token: 'refresh-2' }));
      await first;
      const later = Date.now() + 16 * 60_000;
      jest.spyOn(Date, 'now').mockReturnValue(later);
      const second = session.accessToken();
      await nextTask();
      const request = http.expectOne(`${AUTH}/v1/auth/refresh`);
      expect(request.request.body).toEqual({ refresh_token: 'refresh-2' });
      request.flush(tokens({ token: 'access-3', refresh_token: 'refresh-3' }, later));
      await expect(second).resolves.toBe('access-3');
    });

    it('stays signed in after a reload, refreshing from the stored refresh token', async () => {
      signedIn();
      const reloaded = TestBed.runInInjectionContext(() => new Session());
      expect(reloaded.user()).toEqual({ userId: tokens().user_id, role: 'traveler' });
      const answer = reloaded.accessToken();
      await nextTask();
      http.expectOne(`${AUTH}/v1/auth/refresh`).flush(tokens({ token: 'access-2', refresh_token: 'refresh-2' }));
      await expect(answer).resolves.toBe('access-2');
    });

    it('signs out when the auth API refuses the refresh token', async () => {
      const session = signedIn({ expires_in: 1 });
      const answer = session.accessToken();
      await nextTask();
      http.expectOne(`${AUTH}/v1/auth/refresh`).flush({ title: 'Unauthorized' }, { status: 401, statusText: 'Unauthorized' });
      await expect(answer).resolves.toBeNull();
      expect(session.signedIn()).toBe(false);
      expect(localStorage.getItem(SESSION_KEY)).toBeNull();
    });

    it('keeps the session when the refresh fails for a network error', async () => {
      const session = signedIn({ expires_in: 1 });
      const answer = session.accessToken();
      await nextTask();
      http.expectOne(`${AUTH}/v1/auth/refresh`).error(new ProgressEvent('error'));
      await expect(answer).rejects.toMatchObject({ status: 0 });
      expect(session.signedIn()).toBe(true);
    });

    it('forgets a session whose refresh token has expired, without calling the API', async () => {
      const session = signedIn({ expires_in: 1 });
      jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 31 * 86_400_000);
      await expect(session.accessToken()).resolves.toBeNull();
      http.expectNone(`${AUTH}/v1/auth/refresh`);
      expect(session.signedIn()).toBe(false);
    });

    it('answers no token when nobody is signed in', async () => {
      await expect(TestBed.inject(Session).accessToken()).resolves.toBeNull();
    });
  });

  describe('signing out', () => {
    it('revokes the session with its bearer token and refresh token, then forgets it', async () => {
      const session = signedIn();
      const done = session.signOut();
      await nextTask();
      const request = http.expectOne(`${AUTH}/v1/auth/logout`);
      expect(request.request.headers.get('Authorization')).toBe('Bearer access-1');
      expect(request.request.body).toEqual({ refresh_token: 'refresh-1' });
      request.flush('', { status: 204, statusText: 'No Content' });
      await done;
      expect(session.signedIn()).toBe(false);
      expect(localStorage.getItem(SESSION_KEY)).toBeNull();
      await expect(session.accessToken()).resolves.toBeNull();
    });

    it('forgets the session even when the revocation fails', async () => {
      const session = signedIn();
      const done = session.signOut();
      await nextTask();
      http.expectOne(`${AUTH}/v1/auth/logout`).flush('', { status: 500, statusText: 'Server Error' });
      await done;
      expect(session.signedIn()).toBe(false);
    });

    it('follows another tab signing out', () => {
      const session = signedIn();
      localStorage.removeItem(SESSION_KEY);
      window.dispatchEvent(new StorageEvent('storage', { key: SESSION_KEY }));
      expect(session.signedIn()).toBe(false);
    });
  });
});

describe('the session on the server', () => {
  it('has nobody signed in, and nothing throws or navigates', async () => {
    localStorage.setItem(SESSION_KEY, JSON.stringify({ refreshToken: 'r', refreshExpiresAt: Date.now() + 60_000, user: { userId: 'u', role: 'traveler' } }));
    const location = configureSignOn({ platform: 'server' });
    const session = TestBed.inject(Session);
    expect(session.user()).toBeNull();
    await expect(session.accessToken()).resolves.toBeNull();
    await expect(session.signIn('/bookings')).resolves.toBeUndefined();
    await expect(session.signOut()).resolves.toBeUndefined();
    session.establish(tokens());
    expect(session.signedIn()).toBe(false);
    expect(location.visited).toEqual([]);
    TestBed.inject(HttpTestingController).verify();
    localStorage.clear();
  });
});
