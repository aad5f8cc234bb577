import { HttpClient, HttpContext, HttpContextToken } from '@angular/common/http';
import { firstValueFrom } from 'rxjs';

import { authorize } from '../../api/auth/fn/auth/authorize';
import type { AuthorizationCode } from '../../api/auth/models/authorization-code';
import type { AuthorizeRequest } from '../../api/auth/models/authorize-request';

/**
 * Marks the session's own calls to the auth API: the interceptor leaves
 * them alone (they carry their own credentials, and a 401 there must not
 * start another refresh).
 */
export const SESSION_CALL = new HttpContextToken<boolean>(() => false);

/** The context of the session's own calls. */
export const sessionCallContext = (): HttpContext => new HttpContext().set(SESSION_CALL, true);

/**
 * `http` with `Authorization: Bearer <accessToken>` on every request. The
 * generated functions take no header for the bearer, and the session's own
 * calls skip the interceptor (or run in the auth app, which has none), so
 * they carry the token this way.
 */
export function withBearer(http: HttpClient, accessToken: string): HttpClient {
  return new HttpClient({
    handle: (request) => http.request(request.clone({ setHeaders: { Authorization: `Bearer ${accessToken}` } })),
  });
}

/**
 * Asks the auth API (`POST /v1/auth/authorize`, the generated client) for a
 * one-time authorization code for `request`, as the signed-in user of
 * `accessToken`.
 */
export async function requestAuthorizationCode(
  http: HttpClient,
  authApiUrl: string,
  accessToken: string,
  request: AuthorizeRequest,
): Promise<AuthorizationCode> {
  const response = await firstValueFrom(
    authorize(withBearer(http, accessToken), authApiUrl, { body: request }, sessionCallContext()),
  );
  return response.body;
}
