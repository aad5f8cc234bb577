import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom } from 'rxjs';

import { toProblem } from '../problem';
import { isApiRequest } from './interceptor';
import { Session } from './session';
import { FakeLocation, TEST_CONFIG, configureSignOn, installWebCrypto, tokens } from './testing/sign-on-testing';

const AUTH = TEST_CONFIG.authApiUrl;
const LAUNCHES = `${TEST_CONFIG.queryApiUrl}/v1/launches`;
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
const unauthorized = { status: 401, statusText: 'Unauthorized' };

describe('which requests get the bearer token', () => {
  it.each([
    `${TEST_CONFIG.commandApiUrl}/v1/bookings`,
    `${TEST_CONFIG.queryApiUrl}/v1/launches?page=2`,
    `${TEST_CONFIG.authApiUrl}/v1/auth/me`,
  ])('the configured API %s does', (url) => {
    expect(isApiRequest(url, TEST_CONFIG)).toBe(true);
  });

  it.each([
    ['another origin', 'https://tracker.example/v1/launches'],
    ['another port of the same host', 'http://127.0.0.1:9999/v1/launches'],
    ['user info hiding another host', 'http://127.0.0.1:8081@evil.example/v1/bookings'],
    ['the app itself', '/config.json'],
  ])('%s does not', (_what, url) => {
    expect(isApiRequest(url, TEST_CONFIG)).toBe(false);
  });

  it('respects an API mounted under a path', () => {
    const config = { ...TEST_CONFIG, queryApiUrl: 'https://astro.example/query' };
    expect(isApiRequest('https://astro.example/query/v1/launches', config)).toBe(true);
    expect(isApiRequest('https://astro.example/querying/v1/launches', config)).toBe(false);
    expect(isApiRequest('https://astro.example/other', config)).toBe(false);
  });
});

describe('the auth interceptor', () => {
  let http: HttpTestingController;
  let client: HttpClient;
  let location: FakeLocation;

  beforeAll(installWebCrypto);

  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    location = configureSignOn();
    http = TestBed.inject(HttpTestingController);
    client = TestBed.inject(HttpClient);
  });

  afterEach(() => http.verify());

  const signIn = () => TestBed.inject(Session).establish(tokens());
  const get = (url: string) => firstValueFrom(client.get(url));

  it('adds the bearer token to calls to the configured APIs', async () => {
    signIn();
    const answer = get(LAUNCHES);
    await nextTask();
    const request = http.expectOne(LAUNCHES);
    expect(request.request.headers.get('Authorization')).toBe('Bearer access-1');
    request.flush({ items: [] });
    await expect(answer).resolves.toEqual({ items: [] });
  });

  it('never sends the token to another origin', async () => {
    signIn();
    const answer = get('https://tracker.example/pixel');
    await nextTask();
    const request = http.expectOne('https://tracker.example/pixel');
    expect(request.request.headers.has('Authorization')).toBe(false);
    request.flush({});
    await answer;
  });

  it('calls anonymously when nobody is signed in', async () => {
    const answer = get(LAUNCHES);
    await nextTask();
    const request = http.expectOne(LAUNCHES);
    expect(request.request.headers.has('Authorization')).toBe(false);
    request.flush({});
    await answer;
  });

  it('refreshes on a 401 and retries once with the new token', async () => {
    signIn();
    const answer = get(LAUNCHES);
    await nextTask();
    http.expectOne(LAUNCHES).flush({}, unauthorized);
    await nextTask();
    http.expectOne(`${AUTH}/v1/auth/refresh`).flush(tokens({ token: 'access-2', refresh_token: 'refresh-2' }));
    await nextTask();
    const retry = http.expectOne(LAUNCHES);
    expect(retry.request.headers.get('Authorization')).toBe('Bearer access-2');
    retry.flush({ items: [1] });
    await expect(answer).resolves.toEqual({ items: [1] });
    expect(location.visited).toEqual([]);
  });

  it('signs out and sends the user to sign in when the retry is refused too', async () => {
    signIn();
    const answer = get(LAUNCHES);
    await nextTask();
    http.expectOne(LAUNCHES).flush({}, unauthorized);
    await nextTask();
    http.expectOne(`${AUTH}/v1/auth/refresh`).flush(tokens({ token: 'access-2', refresh_token: 'refresh-2' }));
    await nextTask();
    http.expectOne(LAUNCHES).flush({}, unauthorized);
    await nextTask();
    http.expectOne(`${AUTH}/v1/auth/logout`).flush('', unauthorized);
    await expect(answer).rejects.toMatchObject({ status: 401 });
    expect(TestBed.inject(Session).signedIn()).toBe(false);
    expect(location.visited).toHaveLength(1);
    expect(location.visited[0]).toMatch(/^http:\/\/127\.0\.0\.1:4201\/authorize\?/);
  });

  it('does not retry when the refresh is refused, and sends the user to sign in', async () => {
    signIn();
    const answer = get(LAUNCHES);
    await nextTask();
    http.expectOne(LAUNCHES).flush({}, unauthorized);
    await nextTask();
    http.expectOne(`${AUTH}/v1/auth/refresh`).flush({}, unauthorized);
    await expect(answer).rejects.toMatchObject({ status: 401 });
    http.expectNone(LAUNCHES);
    expect(location.visited).toHaveLength(1);
  });

  it('passes a 401 of an anonymous call on without refreshing', async () => {
    const answer = get(LAUNCHES);
    await nextTask();
    http.expectOne(LAUNCHES).flush({}, unauthorized);
    await expect(answer).rejects.toMatchObject({ status: 401 });
    http.expectNone(`${AUTH}/v1/auth/refresh`);
    expect(location.visited).toEqual([]);
  });

  it('lets a network failure through as the problem "cannot reach the service"', async () => {
    const answer = get(LAUNCHES);
    await nextTask();
    http.expectOne(LAUNCHES).error(new ProgressEvent('error'));
    const error = await answer.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpErrorResponse);
    expect(toProblem(error)).toMatchObject({ status: 0, detail: expect.stringMatching(/cannot reach the service/) });
  });

  it('lets a 429 through with its Retry-After for the problem', async () => {
    const answer = get(LAUNCHES);
    await nextTask();
    http
      .expectOne(LAUNCHES)
      .flush({ title: 'Too many requests', status: 429 }, { status: 429, statusText: 'Too Many Requests', headers: { 'Retry-After': '42' } });
    const error = await answer.catch((e: unknown) => e);
    expect(toProblem(error)).toMatchObject({ status: 429, retryAfterSeconds: 42 });
  });
});
