import { HttpClient, HttpContext, HttpContextToken } from '@angular/common/http';
import { firstValueFrom } from 'rxjs';

import type { TokenResponse } from '../../api/auth/models/token-response';

/**
 * Marks the session's own calls to the auth API: the interceptor leaves
 * them alone (they carry their own credentials, and a 401 there must not
 * start another refresh).
 */
export const SESSION_CALL = new HttpContextToken<boolean>(() => false);

/** The context of the session's own calls. */
export const sessionCallContext = (): HttpContext => new HttpContext().set(SESSION_CALL, true);

// TODO(generated): replace with the generated client once /openapi.json lists it
/** `POST /v1/auth/authorize`'s body. */
export interface AuthorizeRequest {
  readonly client_id: string;
  readonly redirect_uri: string;
  readonly code_challenge: string;
  readonly code_challenge_method: 'S256';
}

// TODO(generated): replace with the generated client once /openapi.json lists it
/** `POST /v1/auth/authorize`'s 201: a one-time authorization code. */
export interface AuthorizeResponse {
  readonly code: string;
  readonly expires_at: string;
}

// TODO(generated): replace with the generated client once /openapi.json lists it
/** `POST /v1/auth/token`'s body: the code and the verifier it was asked with. */
export interface CodeExchangeRequest {
  readonly grant_type: 'authorization_code';
  readonly code: string;
  readonly code_verifier: string;
  readonly client_id: string;
  readonly redirect_uri: string;
}

// TODO(generated): replace with the generated client once /openapi.json lists it
/** Asks the auth API for an authorization code for `request`, as the signed-in user of `accessToken`. */
export function requestAuthorizationCode(
  http: HttpClient,
  authApiUrl: string,
  accessToken: string,
  request: AuthorizeRequest,
): Promise<AuthorizeResponse> {
  return firstValueFrom(
    http.post<AuthorizeResponse>(`${authApiUrl}/v1/auth/authorize`, request, {
      headers: { Authorization: `Bearer ${accessToken}` },
      context: sessionCallContext(),
    }),
  );
}

// TODO(generated): replace with the generated client once /openapi.json lists it
/** Exchanges an authorization code and its verifier for a session (anonymous call). */
export function exchangeCode(http: HttpClient, authApiUrl: string, request: CodeExchangeRequest): Promise<TokenResponse> {
  return firstValueFrom(
    http.post<TokenResponse>(`${authApiUrl}/v1/auth/token`, request, { context: sessionCallContext() }),
  );
}
