import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { Session } from '@astro/shared';
import {
  FakeLocation,
  TEST_CONFIG,
  configureSignOn,
  installWebCrypto,
  tokens,
} from '@astro/shared/lib/session/testing/sign-on-testing';

import { SessionNav } from './session-nav';

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe('the header account links', () => {
  let location: FakeLocation;

  beforeAll(installWebCrypto);

  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    location = configureSignOn({ providers: [provideRouter([])] });
  });

  const render = () => {
    const fixture = TestBed.createComponent(SessionNav);
    fixture.detectChanges();
    return fixture.nativeElement as HTMLElement;
  };
  const texts = (page: HTMLElement) => [...page.querySelectorAll('a, button')].map((e) => e.textContent?.trim());

  it('offers a visitor "Sign in", a link to the sign-in page that comes back here', () => {
    const page = render();
    expect(texts(page)).toEqual(['Sign in']);
    expect(page.querySelector('a')?.getAttribute('href')).toBe('/sign-in?return=%2F');
  });

  it('shows My bookings, Profile and Sign out to a signed-in user', () => {
    TestBed.inject(Session).establish(tokens());
    const page = render();
    expect(texts(page)).toEqual(['My bookings', 'Profile', 'Sign out']);
    expect(page.querySelector('a')?.getAttribute('href')).toBe('/bookings');
  });

  it('shows an employee only Sign out: employees do not book', () => {
    TestBed.inject(Session).establish(tokens({ role: 'employee', department: 'it' }));
    const page = render();
    expect(texts(page)).toEqual(['Sign out']);
  });

  it('signs out here, then ends the auth app session too', async () => {
    TestBed.inject(Session).establish(tokens());
    const page = render();
    page.querySelector('button')!.click();
    await nextTask();
    TestBed.inject(HttpTestingController)
      .expectOne(`${TEST_CONFIG.authApiUrl}/v1/auth/logout`)
      .flush('', { status: 204, statusText: 'No Content' });
    await nextTask();
    expect(TestBed.inject(Session).signedIn()).toBe(false);
    expect(location.visited).toEqual(['http://127.0.0.1:4201/logout']);
  });
});
