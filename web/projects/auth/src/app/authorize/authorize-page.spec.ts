import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { Session } from '@astro/shared';
import { FakeLocation, TEST_CONFIG, configureSignOn, tokens } from '@astro/shared/lib/session/testing/sign-on-testing';

import { AuthorizePage } from './authorize-page';

const AUTHORIZE = `${TEST_CONFIG.authApiUrl}/v1/auth/authorize`;
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
const query = new URLSearchParams({
  client_id: 'sales',
  redirect_uri: 'http://127.0.0.1:4200/auth/callback',
  code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  code_challenge_method: 'S256',
  state: 'xyz',
});

describe('the /authorize page', () => {
  let http: HttpTestingController;
  let location: FakeLocation;

  beforeEach(() => {
    localStorage.clear();
    location = configureSignOn({ interceptor: false, providers: [provideRouter([{ path: 'authorize', component: AuthorizePage }])] });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  const open = async (search = query) => {
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl(`/authorize?${search}`);
    return harness;
  };

  it('asks a signed-in user\'s code and redirects back with the code and the state', async () => {
    TestBed.inject(Session).establish(tokens());
    await open();
    await nextTask();
    const request = http.expectOne(AUTHORIZE);
    expect(request.request.headers.get('Authorization')).toBe('Bearer access-1');
    expect(request.request.body).toEqual({
      client_id: 'sales',
      redirect_uri: 'http://127.0.0.1:4200/auth/callback',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    request.flush({ code: 'code-1', expires_at: '2030-01-01T00:00:00Z' }, { status: 201, statusText: 'Created' });
    expect(await location.gone()).toBe('http://127.0.0.1:4200/auth/callback?code=code-1&state=xyz');
  });

  it('shows an error and never redirects when the auth API refuses the client or its redirect URI', async () => {
    TestBed.inject(Session).establish(tokens());
    const harness = await open(new URLSearchParams({ ...Object.fromEntries(query), redirect_uri: 'https://evil.example/steal' }));
    await nextTask();
    http.expectOne(AUTHORIZE).flush(
      { title: 'Invalid request', status: 422, errors: [{ field: 'redirect_uri', code: 'not-allowed', message: 'is not allowed for this client' }] },
      { status: 422, statusText: 'Unprocessable Entity' },
    );
    await nextTask();
    harness.detectChanges();
    const page = harness.routeNativeElement!;
    expect(page.querySelector('h1')?.textContent).toBe('This sign-in link does not work');
    expect(page.querySelector('[role=alert]')?.textContent).toContain('redirect_uri: is not allowed for this client');
    expect(location.visited).toEqual([]);
  });

  it('shows the login form first to a visitor, naming the app they sign in to', async () => {
    const harness = await open();
    await nextTask();
    harness.detectChanges();
    const page = harness.routeNativeElement!;
    expect(page.querySelector('[data-test=authorize-app]')?.textContent).toBe('Sign in to continue to the sales site.');
    expect(page.querySelector('#login-email')).not.toBeNull();
    http.expectNone(AUTHORIZE);
    expect(page.querySelector('a[href^="/register"]')?.getAttribute('href')).toContain(encodeURIComponent('/authorize?client_id=sales'));
  });

  it('continues to the redirect once the login form succeeds', async () => {
    const harness = await open();
    await nextTask();
    harness.detectChanges();
    const page = harness.routeNativeElement!;
    for (const [id, value] of [['#login-email', 'ada@example.com'], ['#login-password', 'orbital-tangerine-42']]) {
      const input = page.querySelector<HTMLInputElement>(id)!;
      input.value = value;
      input.dispatchEvent(new Event('input'));
    }
    page.querySelector<HTMLButtonElement>('button[type=submit]')!.click();
    http.expectOne(`${TEST_CONFIG.authApiUrl}/v1/auth/login`).flush(tokens({ token: 'access-9' }));
    await nextTask();
    const request = http.expectOne(AUTHORIZE);
    expect(request.request.headers.get('Authorization')).toBe('Bearer access-9');
    request.flush({ code: 'code-2', expires_at: '2030-01-01T00:00:00Z' });
    expect(await location.gone()).toBe('http://127.0.0.1:4200/auth/callback?code=code-2&state=xyz');
  });

  it('shows an incomplete link as an error without calling the API', async () => {
    const harness = await open(new URLSearchParams({ client_id: 'sales' }));
    harness.detectChanges();
    expect(harness.routeNativeElement!.querySelector('[role=alert]')?.textContent).toContain('incomplete');
    http.expectNone(AUTHORIZE);
    expect(location.visited).toEqual([]);
  });
});
