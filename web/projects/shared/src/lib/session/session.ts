import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { isPlatformBrowser } from '@angular/common';
import { DestroyRef, Injectable, Injector, PLATFORM_ID, Signal, computed, inject, signal } from '@angular/core';
import { firstValueFrom } from 'rxjs';

import { Api as AuthApi } from '../../api/auth/api';
import { logout } from '../../api/auth/fn/auth/logout';
import { refresh } from '../../api/auth/fn/auth/refresh';
import { token as exchangeCode } from '../../api/auth/fn/auth/token';
import type { LogoutRequest } from '../../api/auth/models/logout-request';
import type { TokenResponse } from '../../api/auth/models/token-response';
import { APP_CONFIG } from '../config';
import { toProblem } from '../problem';
import { BROWSER_LOCATION } from './browser-location';
import { randomState, randomVerifier, s256Challenge } from './pkce';
import { safeReturnUrl } from './return-url';
import { sessionCallContext, withBearer } from './sign-on-api';

/** Who is signed in, as the auth API's token response says. */
export interface SessionUser {
  readonly userId: string;
  readonly role: 'traveler' | 'agency' | 'employee';
  /** An employee's department: `operations`, `finance` or `it`. */
  readonly department?: string;
}

/** Why a sign-in could not be completed on the callback. */
export class SignInError extends Error {
  /**
   * @param reason `state`: the callback does not answer a sign-in this tab
   *   started (or it was already used); `exchange`: the auth API refused the code.
   * @param returnUrl where the user was going, for "try again".
   */
  constructor(
    readonly reason: 'state' | 'exchange',
    message: string,
    readonly returnUrl = '/',
  ) {
    super(message);
    this.name = 'SignInError';
  }
}

/** The query of the auth app's `/authorize` for one sign-in. */
export interface AuthorizeParams {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly state: string;
}

/** The auth app's `/authorize` URL a sign-in sends the browser to. */
export function authorizeUrl(authAppUrl: string, params: AuthorizeParams): string {
  const query = new URLSearchParams({
    client_id: params.clientId,
    redirect_uri: params.redirectUri,
    code_challenge: params.codeChallenge,
    code_challenge_method: 'S256',
    state: params.state,
  });
  return `${authAppUrl}/authorize?${query}`;
}

/** The user a token response names. */
export function userOf(tokens: Pick<TokenResponse, 'user_id' | 'role' | 'department'>): SessionUser {
  return tokens.department === undefined
    ? { userId: tokens.user_id, role: tokens.role }
    : { userId: tokens.user_id, role: tokens.role, department: tokens.department };
}

/** A refresh this long before the access token expires, so a call never leaves with a dying token. */
export const REFRESH_MARGIN_MS = 30_000;

/** What survives a reload: the refresh token and who it belongs to. */
interface StoredSession {
  readonly refreshToken: string;
  readonly refreshExpiresAt: number;
  readonly user: SessionUser;
}

/** What a sign-in in progress remembers for its callback. */
interface PendingSignIn {
  readonly state: string;
  readonly verifier: string;
  readonly returnUrl: string;
  readonly redirectUri: string;
}

/** Statuses of a refresh that mean the session is over (not a passing failure). */
const SESSION_OVER = new Set([400, 401, 403, 404, 422]);

/**
 * The signed-in user's session in an app: sign-in through the auth app
 * (authorization code + PKCE), tokens kept and refreshed, sign-out.
 *
 * Storage: the access token lives in memory only. The refresh token is in
 * localStorage so that a reload or a new tab stays signed in — the
 * trade-off is that script injected into the page (XSS) could read it;
 * what limits the damage is that it rotates on every use (a stolen one
 * works once) and that it expires; keeping XSS out (Angular's escaping, no
 * third-party scripts) is the real defence. An httpOnly cookie would need
 * the auth API on the apps' own origin.
 *
 * On the server (SSR) nobody is signed in and nothing touches storage.
 */
@Injectable({ providedIn: 'root' })
export class Session {
  private readonly injector = inject(Injector);
  private readonly config = inject(APP_CONFIG, { optional: true });
  private readonly browser = isPlatformBrowser(inject(PLATFORM_ID));
  private readonly sessionKey = `astro.${this.config?.clientId ?? 'app'}.session`;
  private readonly pendingKey = `astro.${this.config?.clientId ?? 'app'}.sign-in`;

  private access: { readonly token: string; readonly expiresAt: number } | null = null;
  private refreshing: Promise<string | null> | null = null;
  private readonly current = signal<SessionUser | null>(this.readStored()?.user ?? null);

  /** The signed-in user, or null. */
  readonly user: Signal<SessionUser | null> = this.current.asReadonly();

  /** Whether someone is signed in. */
  readonly signedIn: Signal<boolean> = computed(() => this.current() !== null);

  constructor() {
    if (this.browser) {
      // Another tab signed in or out: follow it.
      const onStorage = (event: StorageEvent) => {
        if (event.key === this.sessionKey) {
          this.access = null;
          this.current.set(this.readStored()?.user ?? null);
        }
      };
      window.addEventListener('storage', onStorage);
      inject(DestroyRef).onDestroy(() => window.removeEventListener('storage', onStorage));
    }
  }

  /**
   * Sends the browser to the auth app to sign in; after sign-in the user
   * comes back to `returnUrl` (a path of this app, default the current one).
   */
  async signIn(returnUrl?: string): Promise<void> {
    if (!this.browser || this.config === null) {
      return;
    }
    const verifier = randomVerifier();
    const pending: PendingSignIn = {
      state: randomState(),
      verifier,
      returnUrl: safeReturnUrl(returnUrl ?? `${location.pathname}${location.search}${location.hash}`),
      // The callback must come back to this origin: the pending sign-in is in its sessionStorage.
      redirectUri: `${location.origin}/auth/callback`,
    };
    sessionStorage.setItem(this.pendingKey, JSON.stringify(pending));
    const url = authorizeUrl(this.config.authAppUrl, {
      clientId: this.config.clientId,
      redirectUri: pending.redirectUri,
      codeChallenge: await s256Challenge(verifier),
      state: pending.state,
    });
    this.injector.get(BROWSER_LOCATION).assign(url);
  }

  /**
   * Completes a sign-in on the callback: checks `state` against the sign-in
   * this tab started (a mismatch exchanges nothing), exchanges `code` with
   * its verifier, keeps the session, and answers the path to go back to
   * (always a path of this app).
   */
  async completeSignIn(code: string, state: string): Promise<string> {
    const pending = this.takePending();
    if (pending === null || !state || pending.state !== state) {
      throw new SignInError('state', 'This sign-in link does not match a sign-in started here, or it was already used.');
    }
    const returnUrl = safeReturnUrl(pending.returnUrl);
    if (!code || this.config === null) {
      throw new SignInError('exchange', 'The sign-in did not return an authorization code.', returnUrl);
    }
    let tokens: TokenResponse;
    try {
      tokens = await this.injector.get(AuthApi).invoke(
        exchangeCode,
        {
          body: {
            grant_type: 'authorization_code',
            code,
            code_verifier: pending.verifier,
            client_id: this.config.clientId,
            redirect_uri: pending.redirectUri,
          },
        },
        sessionCallContext(),
      );
    } catch (error) {
      const problem = toProblem(error);
      const message =
        problem.status === 401 ? 'The sign-in expired or was already used. Please sign in again.' : problem.detail;
      throw new SignInError('exchange', message, returnUrl);
    }
    this.establish(tokens);
    return returnUrl;
  }

  /**
   * Keeps the session a login or a code exchange answered (the auth app
   * signs in with a password and keeps its own session this way).
   */
  establish(tokens: TokenResponse): void {
    if (!this.browser) {
      return;
    }
    const user = userOf(tokens);
    this.access = { token: tokens.token, expiresAt: Date.now() + tokens.expires_in * 1000 };
    this.writeStored({ refreshToken: tokens.refresh_token, refreshExpiresAt: Date.parse(tokens.refresh_expires_at), user });
    this.current.set(user);
  }

  /**
   * A valid access token for an API call (refreshed first when it is about
   * to expire), or null when nobody is signed in.
   */
  async accessToken(): Promise<string | null> {
    if (!this.browser || this.current() === null) {
      return null;
    }
    if (this.access !== null && this.access.expiresAt - Date.now() > REFRESH_MARGIN_MS) {
      return this.access.token;
    }
    return this.refresh();
  }

  /**
   * A new access token after an API refused `rejected` (401): refreshes once,
   * unless another call already did; null when the session is over.
   */
  async refreshAfterRejection(rejected: string): Promise<string | null> {
    if (this.access !== null && this.access.token !== rejected) {
      return this.accessToken();
    }
    this.access = null;
    return this.current() === null ? null : this.refresh();
  }

  /** Revokes the session at the auth API and forgets it. */
  async signOut(): Promise<void> {
    if (!this.browser) {
      return;
    }
    const stored = this.readStored();
    try {
      const token = this.current() === null ? null : await this.accessToken();
      if (token !== null && this.config !== null) {
        const body: LogoutRequest = { refresh_token: this.readStored()?.refreshToken ?? stored?.refreshToken ?? null };
        const http = withBearer(this.injector.get(HttpClient), token);
        await firstValueFrom(logout(http, this.config.authApiUrl, { body }, sessionCallContext()));
      }
    } catch {
      // Signing out must always work here; the tokens expire on their own.
    } finally {
      this.forget();
    }
  }

  /** Forgets the session in this app without calling the auth API (it was already revoked). */
  forget(): void {
    this.access = null;
    this.refreshing = null;
    this.current.set(null);
    if (this.browser) {
      try {
        localStorage.removeItem(this.sessionKey);
      } catch {
        // Storage may be disabled: nothing was kept then.
      }
    }
  }

  /** One refresh at a time: a refresh token works once, so concurrent callers share the rotation. */
  private refresh(): Promise<string | null> {
    this.refreshing ??= this.rotate().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async rotate(): Promise<string | null> {
    // Tabs share the refresh token: a lock keeps two tabs from rotating it at once.
    const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
    const work = () => this.rotateNow();
    return locks ? locks.request(`${this.sessionKey}.refresh`, work) : work();
  }

  private async rotateNow(): Promise<string | null> {
    // Read it again: another tab may have rotated it while this one waited.
    const stored = this.readStored();
    if (stored === null || stored.refreshExpiresAt <= Date.now()) {
      this.forget();
      return null;
    }
    try {
      const tokens = await this.injector
        .get(AuthApi)
        .invoke(refresh, { body: { refresh_token: stored.refreshToken } }, sessionCallContext());
      this.establish(tokens);
      return tokens.token;
    } catch (error) {
      if (error instanceof HttpErrorResponse && SESSION_OVER.has(error.status)) {
        this.forget();
        return null;
      }
      throw error;
    }
  }

  private takePending(): PendingSignIn | null {
    if (!this.browser) {
      return null;
    }
    try {
      const text = sessionStorage.getItem(this.pendingKey);
      // One use: a replayed callback finds nothing.
      sessionStorage.removeItem(this.pendingKey);
      const value = text === null ? null : (JSON.parse(text) as Partial<PendingSignIn>);
      return value !== null &&
        typeof value.state === 'string' &&
        typeof value.verifier === 'string' &&
        typeof value.redirectUri === 'string'
        ? { state: value.state, verifier: value.verifier, redirectUri: value.redirectUri, returnUrl: safeReturnUrl(value.returnUrl) }
        : null;
    } catch {
      return null;
    }
  }

  private readStored(): StoredSession | null {
    if (!this.browser) {
      return null;
    }
    try {
      const text = localStorage.getItem(this.sessionKey);
      const value = text === null ? null : (JSON.parse(text) as Partial<StoredSession>);
      if (
        value === null ||
        typeof value.refreshToken !== 'string' ||
        typeof value.refreshExpiresAt !== 'number' ||
        typeof value.user?.userId !== 'string' ||
        value.refreshExpiresAt <= Date.now()
      ) {
        return null;
      }
      return value as StoredSession;
    } catch {
      return null;
    }
  }

  private writeStored(value: StoredSession): void {
    try {
      localStorage.setItem(this.sessionKey, JSON.stringify(value));
    } catch {
      // Storage disabled: the session lasts until the access token expires.
    }
  }
}
