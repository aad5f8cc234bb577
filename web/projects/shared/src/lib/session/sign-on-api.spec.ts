import { HttpClient, provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';

import { SESSION_CALL, requestAuthorizationCode } from './sign-on-api';

describe('the sign-on calls of the generated auth client', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('asks for a code with the bearer token, marked as a session call, and answers the code', async () => {
    const answer = requestAuthorizationCode(TestBed.inject(HttpClient), 'http://auth.test', 'access-7', {
      client_id: 'sales',
      redirect_uri: 'http://sales.test/auth/callback',
      code_challenge: 'challenge',
      code_challenge_method: 'S256',
    });
    const request = http.expectOne({ method: 'POST', url: 'http://auth.test/v1/auth/authorize' });
    expect(request.request.headers.get('Authorization')).toBe('Bearer access-7');
    expect(request.request.context.get(SESSION_CALL)).toBe(true);
    expect(request.request.body).toEqual({
      client_id: 'sales',
      redirect_uri: 'http://sales.test/auth/callback',
      code_challenge: 'challenge',
      code_challenge_method: 'S256',
    });
    request.flush({ code: 'code-7', expires_at: '2030-01-01T00:00:00Z' }, { status: 201, statusText: 'Created' });
    await expect(answer).resolves.toEqual({ code: 'code-7', expires_at: '2030-01-01T00:00:00Z' });
  });

  it('passes the auth API’s refusal on to the caller', async () => {
    const answer = requestAuthorizationCode(TestBed.inject(HttpClient), 'http://auth.test', 'access-7', {
      client_id: 'nobody',
      redirect_uri: 'http://sales.test/auth/callback',
      code_challenge: 'challenge',
      code_challenge_method: 'S256',
    });
    http
      .expectOne('http://auth.test/v1/auth/authorize')
      .flush({ title: 'Invalid', status: 422 }, { status: 422, statusText: 'Unprocessable Entity' });
    await expect(answer).rejects.toMatchObject({ status: 422 });
  });
});
