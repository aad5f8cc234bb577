import { HttpErrorResponse, HttpInterceptorFn, HttpRequest } from '@angular/common/http';
import { inject } from '@angular/core';
import { Router } from '@angular/router';
import { catchError, from, switchMap, throwError } from 'rxjs';

import { APP_CONFIG, AppConfig } from '../config';
import { Session } from './session';
import { SESSION_CALL } from './sign-on-api';

/**
 * Whether `url` goes to one of the configured APIs (same origin and under
 * the API's path). Only those get the bearer token: a token sent anywhere
 * else would leak the session.
 */
export function isApiRequest(
  url: string,
  config: Pick<AppConfig, 'commandApiUrl' | 'queryApiUrl' | 'authApiUrl'>,
): boolean {
  let target: URL;
  try {
    // Relative URLs are this app's own origin: the APIs are configured absolute.
    target = new URL(url, globalThis.location?.href ?? 'http://app.invalid/');
  } catch {
    return false;
  }
  return [config.commandApiUrl, config.queryApiUrl, config.authApiUrl].some((api) => {
    const base = new URL(api);
    const path = base.pathname.replace(/\/+$/, '');
    return target.origin === base.origin && (path === '' || target.pathname === path || target.pathname.startsWith(`${path}/`));
  });
}

const withBearer = <T>(request: HttpRequest<T>, token: string | null): HttpRequest<T> =>
  token === null ? request : request.clone({ setHeaders: { Authorization: `Bearer ${token}` } });

const isUnauthorized = (error: unknown): boolean => error instanceof HttpErrorResponse && error.status === 401;

/**
 * Adds `Authorization: Bearer` to the calls to the configured APIs; on a 401
 * refreshes the session once and retries once; when that fails too, signs
 * out and sends the user to sign in again (the error still reaches the
 * caller).
 */
export const authInterceptor: HttpInterceptorFn = (request, next) => {
  const config = inject(APP_CONFIG, { optional: true });
  if (config === null || request.context.get(SESSION_CALL) || !isApiRequest(request.url, config)) {
    return next(request);
  }
  const session = inject(Session);
  const router = inject(Router, { optional: true });
  const sessionLost = async () => {
    await session.signOut();
    await session.signIn(router?.url);
  };
  return from(session.accessToken()).pipe(
    switchMap((token) =>
      next(withBearer(request, token)).pipe(
        catchError((error: unknown) => {
          if (token === null || !isUnauthorized(error)) {
            return throwError(() => error);
          }
          return from(session.refreshAfterRejection(token)).pipe(
            switchMap((fresh) => (fresh === null ? throwError(() => error) : next(withBearer(request, fresh)))),
            catchError((again: unknown) =>
              isUnauthorized(again)
                ? from(sessionLost()).pipe(switchMap(() => throwError(() => again)))
                : throwError(() => again),
            ),
          );
        }),
      ),
    ),
  );
};
