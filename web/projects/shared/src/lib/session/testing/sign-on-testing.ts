import { webcrypto } from 'node:crypto';
import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { EnvironmentProviders, PLATFORM_ID, Provider } from '@angular/core';
import { TestBed } from '@angular/core/testing';

import type { TokenResponse } from '../../../api/auth/models/token-response';
import { AppConfig, provideAppConfig } from '../../config';
import { BROWSER_LOCATION } from '../browser-location';
import { authInterceptor } from '../interceptor';

/** The configuration the sign-on specs run with. */
export const TEST_CONFIG: AppConfig = {
  commandApiUrl: 'http://127.0.0.1:8081',
  queryApiUrl: 'http://127.0.0.1:8082',
  authApiUrl: 'http://127.0.0.1:8083',
  authAppUrl: 'http://127.0.0.1:4201',
  salesUrl: 'http://127.0.0.1:4200',
  clientId: 'sales',
};

/** jsdom has no SubtleCrypto: the specs use Node's Web Crypto, as a browser would its own. */
export function installWebCrypto(): void {
  if (!globalThis.crypto?.subtle) {
    Object.defineProperty(globalThis, 'crypto', { value: webcrypto, configurable: true });
  }
}

/** Where the app tried to go, in order (jsdom cannot navigate). */
export class FakeLocation {
  readonly visited: string[] = [];
  private waiting: (() => void)[] = [];

  assign(url: string): void {
    this.visited.push(url);
    for (const wake of this.waiting.splice(0)) {
      wake();
    }
  }

  /**
   * The URL of the app's next visit after the first `seen` ones, once it
   * happens (hashing the PKCE verifier takes a moment).
   */
  async gone(seen = 0): Promise<string> {
    while (this.visited.length <= seen) {
      await new Promise<void>((wake) => this.waiting.push(wake));
    }
    return this.visited[seen];
  }
}

/** A token response as the auth API answers it. */
export function tokens(overrides: Partial<TokenResponse> = {}, now = Date.now()): TokenResponse {
  return {
    token: 'access-1',
    token_type: 'Bearer',
    expires_at: new Date(now + 900_000).toISOString(),
    expires_in: 900,
    refresh_token: 'refresh-1',
    refresh_expires_at: new Date(now + 30 * 86_400_000).toISOString(),
    role: 'traveler',
    user_id: '0190a000-0000-7000-8000-000000000001',
    ...overrides,
  };
}

/** TestBed with the app configuration, HttpClient under test (with the auth interceptor unless told), and a fake location. */
export function configureSignOn(
  options: { platform?: 'browser' | 'server'; interceptor?: boolean; providers?: (Provider | EnvironmentProviders)[] } = {},
): FakeLocation {
  const location = new FakeLocation();
  TestBed.configureTestingModule({
    providers: [
      provideAppConfig(TEST_CONFIG),
      provideHttpClient(withInterceptors(options.interceptor === false ? [] : [authInterceptor])),
      provideHttpClientTesting(),
      { provide: BROWSER_LOCATION, useValue: location },
      { provide: PLATFORM_ID, useValue: options.platform ?? 'browser' },
      ...(options.providers ?? []),
    ],
  });
  return location;
}
