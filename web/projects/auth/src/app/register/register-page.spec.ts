import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { Session } from '@astro/shared';
import { TEST_CONFIG, configureSignOn, tokens } from '@astro/shared/lib/session/testing/sign-on-testing';

import { RegisterPage } from './register-page';
import { registerBody } from './register-form';

const AUTH = TEST_CONFIG.authApiUrl;
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe('the register page', () => {
  let http: HttpTestingController;
  let harness: RouterTestingHarness;
  let page: HTMLElement;

  beforeEach(async () => {
    localStorage.clear();
    configureSignOn({
      interceptor: false,
      providers: [provideRouter([{ path: 'register', component: RegisterPage }, { path: '**', children: [] }])],
    });
    http = TestBed.inject(HttpTestingController);
    harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/register?next=' + encodeURIComponent('/authorize?client_id=sales&state=x'));
    page = harness.routeNativeElement!;
  });

  afterEach(() => http.verify());

  const type = (selector: string, value: string) => {
    const input = page.querySelector<HTMLInputElement>(selector)!;
    input.value = value;
    input.dispatchEvent(new Event('input'));
    harness.detectChanges();
  };
  const unmet = () => [...page.querySelectorAll('[data-rule]:not(.met)')].map((li) => li.getAttribute('data-rule'));
  const fillTraveler = (password = 'orbital-tangerine-42') => {
    type('#email', 'ada@example.com');
    type('#password', password);
    type('#full-name', 'Ada Lovelace');
    type('#birth-date', '1985-12-10');
  };
  const submit = async () => {
    page.querySelector<HTMLButtonElement>('button[type=submit]')!.click();
    await nextTask();
  };

  it('gives password feedback as the user types', () => {
    type('#email', 'lovelace@example.com');
    type('#password', 'short');
    expect(unmet()).toEqual(['length']);
    type('#password', 'password1234');
    expect(unmet()).toEqual(['too-common']);
    type('#password', 'i-am-lovelace-2026');
    expect(unmet()).toEqual(['contains-email']);
    type('#password', 'orbital-tangerine-42');
    expect(unmet()).toEqual([]);
    expect(page.querySelector('#password')?.getAttribute('aria-describedby')).toBe('password-rules');
  });

  it('does not send a password the policy refuses', async () => {
    fillTraveler('short');
    await submit();
    harness.detectChanges();
    http.expectNone(`${AUTH}/v1/auth/register`);
    expect(page.querySelector('#password-error')?.textContent).toContain('meets every rule');
  });

  it('asks the agency legal data of an agency', () => {
    const radio = page.querySelector<HTMLInputElement>('input[value=agency]')!;
    radio.click();
    harness.detectChanges();
    for (const id of ['legal-name', 'tax-id', 'line1', 'postal-code', 'city', 'country', 'contact-name', 'contact-email', 'contact-phone']) {
      expect(page.querySelector(`label[for=${id}]`)).not.toBeNull();
    }
    expect(page.querySelector('#full-name')).toBeNull();
  });

  it('shows the server\'s 422 field errors next to their fields', async () => {
    fillTraveler();
    await submit();
    http.expectOne(`${AUTH}/v1/auth/register`).flush(
      { title: 'Invalid request', status: 422, errors: [{ field: 'profile.birth_date', code: 'invalid', message: 'must be 18 to 120 years ago' }] },
      { status: 422, statusText: 'Unprocessable Entity' },
    );
    await nextTask();
    harness.detectChanges();
    expect(page.querySelector('#birth-date-error')?.textContent).toBe('must be 18 to 120 years ago');
    expect(page.querySelector('#birth-date')?.getAttribute('aria-invalid')).toBe('true');
    expect(page.querySelector('#birth-date')?.getAttribute('aria-describedby')).toContain('birth-date-error');
  });

  it('says an account with this email exists on a 409', async () => {
    fillTraveler();
    await submit();
    http.expectOne(`${AUTH}/v1/auth/register`).flush({ title: 'Conflict', status: 409 }, { status: 409, statusText: 'Conflict' });
    await nextTask();
    harness.detectChanges();
    expect(page.querySelector('[data-test=register-error]')?.textContent).toContain('An account with this email already exists');
  });

  it('registers, signs in and continues the sign-in it came from', async () => {
    fillTraveler();
    await submit();
    const request = http.expectOne(`${AUTH}/v1/auth/register`);
    expect(request.request.body).toEqual({
      email: 'ada@example.com',
      password: 'orbital-tangerine-42',
      profile: { kind: 'traveler', full_name: 'Ada Lovelace', birth_date: '1985-12-10' },
    });
    request.flush({ user_id: 'u', email: 'ada@example.com', role: 'traveler' }, { status: 201, statusText: 'Created' });
    await nextTask();
    http.expectOne(`${AUTH}/v1/auth/login`).flush(tokens());
    await nextTask();
    await harness.fixture.whenStable();
    expect(TestBed.inject(Session).signedIn()).toBe(true);
    expect(TestBed.inject(Router).url).toBe('/authorize?client_id=sales&state=x');
  });
});

describe('the register request', () => {
  it('sends an agency\'s profile with an empty second line as null and the country in capitals', () => {
    const body = registerBody({
      kind: 'agency',
      email: ' desk@agency.example ',
      password: 'orbital-tangerine-42',
      traveler: { full_name: 'ignored', birth_date: '' },
      agency: {
        legal_name: 'Orbit Travel SARL',
        tax_id: 'FR-123456',
        address: { line1: '1 Rue de la Lune', line2: ' ', postal_code: '75001', city: 'Paris', country: 'fr' },
        contact: { name: 'Ada', email: 'ada@agency.example', phone: '+33 1 23 45 67 89' },
      },
    });
    expect(body).toEqual({
      email: 'desk@agency.example',
      password: 'orbital-tangerine-42',
      profile: {
        kind: 'agency',
        legal_name: 'Orbit Travel SARL',
        tax_id: 'FR-123456',
        address: { line1: '1 Rue de la Lune', line2: null, postal_code: '75001', city: 'Paris', country: 'FR' },
        contact: { name: 'Ada', email: 'ada@agency.example', phone: '+33 1 23 45 67 89' },
      },
    });
  });
});
