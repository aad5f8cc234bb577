import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { Session } from '@astro/shared';
import { TEST_CONFIG, configureSignOn, tokens } from '@astro/shared/lib/session/testing/sign-on-testing';

import { LoginForm } from './login-form';

const LOGIN = `${TEST_CONFIG.authApiUrl}/v1/auth/login`;

describe('the login form', () => {
  let fixture: ComponentFixture<LoginForm>;
  let http: HttpTestingController;
  let page: HTMLElement;

  beforeEach(() => {
    localStorage.clear();
    configureSignOn({ interceptor: false });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(LoginForm);
    page = fixture.nativeElement;
    fixture.detectChanges();
  });

  afterEach(() => {
    http.verify();
    jest.useRealTimers();
  });

  const type = (selector: string, value: string) => {
    const input = page.querySelector<HTMLInputElement>(selector)!;
    input.value = value;
    input.dispatchEvent(new Event('input'));
  };
  const submit = (email = 'ada@example.com', password = 'orbital-tangerine-42') => {
    type('#login-email', email);
    type('#login-password', password);
    page.querySelector<HTMLButtonElement>('button[type=submit]')!.click();
    return http.expectOne(LOGIN);
  };
  const settle = async () => {
    await fixture.whenStable();
    fixture.detectChanges();
  };

  it('labels both inputs', () => {
    expect(page.querySelector('label[for=login-email]')?.textContent).toBe('Email');
    expect(page.querySelector('label[for=login-password]')?.textContent).toBe('Password');
  });

  it('signs in, keeps the auth app session and says so', async () => {
    const signedIn = jest.fn();
    fixture.componentRef.instance.signedIn.subscribe(signedIn);
    const request = submit();
    expect(request.request.body).toEqual({ email: 'ada@example.com', password: 'orbital-tangerine-42' });
    request.flush(tokens());
    await settle();
    expect(signedIn).toHaveBeenCalledTimes(1);
    expect(TestBed.inject(Session).signedIn()).toBe(true);
  });

  it.each([
    ['an unknown email', { title: 'Unauthorized', detail: 'no such account' }],
    ['a wrong password', { title: 'Unauthorized', detail: 'wrong password' }],
  ])('says "Email or password is incorrect" for %s, whatever the server detail', async (_what, body) => {
    submit().flush(body, { status: 401, statusText: 'Unauthorized' });
    await settle();
    const alert = page.querySelector('[role=alert]');
    expect(alert?.textContent?.trim()).toBe('Email or password is incorrect.');
    expect(TestBed.inject(Session).signedIn()).toBe(false);
  });

  it('counts down the wait of a 429 from Retry-After, with the form disabled until then', async () => {
    jest.useFakeTimers();
    submit().flush({ title: 'Too many requests' }, { status: 429, statusText: 'Too Many Requests', headers: { 'Retry-After': '90' } });
    await jest.advanceTimersByTimeAsync(0);
    fixture.detectChanges();
    const wait = () => page.querySelector('[data-test=login-wait] [aria-hidden]')?.textContent?.trim();
    const button = page.querySelector<HTMLButtonElement>('button[type=submit]')!;
    expect(wait()).toBe('Too many attempts. Try again in 2 minutes.');
    expect(page.querySelector('[data-test=login-wait] [role=alert]')?.textContent).toBe('Too many attempts. Try again in 2 minutes.');
    expect(button.disabled).toBe(true);

    await jest.advanceTimersByTimeAsync(31_000);
    fixture.detectChanges();
    expect(wait()).toBe('Too many attempts. Try again in 59 seconds.');

    await jest.advanceTimersByTimeAsync(59_000);
    fixture.detectChanges();
    expect(wait()).toBeUndefined();
    expect(button.disabled).toBe(false);
  });

  it('asks for the missing fields without calling the API', async () => {
    page.querySelector<HTMLButtonElement>('button[type=submit]')!.click();
    await settle();
    http.expectNone(LOGIN);
    expect(page.querySelector('#login-email')?.getAttribute('aria-describedby')).toBe('login-email-error');
    expect(page.querySelector('#login-email-error')?.textContent).toContain('Enter your email address');
  });
});
