import { HttpTestingController } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';

import { Session } from '../session';
import { FakeLocation, TEST_CONFIG, configureSignOn, installWebCrypto, tokens } from '../testing/sign-on-testing';
import { SignInCallback } from './sign-in-callback';

@Component({ template: '<h1>My bookings</h1>' })
class BookingsStub {}

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe('the sign-in callback page', () => {
  let http: HttpTestingController;
  let location: FakeLocation;

  beforeAll(installWebCrypto);

  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    location = configureSignOn({
      providers: [
        provideRouter([
          { path: 'auth/callback', component: SignInCallback },
          { path: 'bookings', component: BookingsStub },
        ]),
      ],
    });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  const startSignIn = async (returnUrl: string) => {
    await TestBed.inject(Session).signIn(returnUrl);
    return JSON.parse(sessionStorage.getItem('astro.sales.sign-in')!).state as string;
  };

  it('completes the sign-in and replaces itself with the page the user was going to', async () => {
    const state = await startSignIn('/bookings');
    const harness = await RouterTestingHarness.create();
    const navigate = jest.spyOn(TestBed.inject(Router), 'navigateByUrl');
    await harness.navigateByUrl(`/auth/callback?code=code-1&state=${state}`);
    expect(harness.routeNativeElement?.textContent).toContain('Signing you in');
    await nextTask();
    http.expectOne(`${TEST_CONFIG.authApiUrl}/v1/auth/token`).flush(tokens());
    await nextTask();
    await harness.fixture.whenStable();
    expect(navigate).toHaveBeenLastCalledWith('/bookings', { replaceUrl: true });
    expect(TestBed.inject(Router).url).toBe('/bookings');
    expect(TestBed.inject(Session).signedIn()).toBe(true);
  });

  it('shows a clear error with "Try again" when the state does not match', async () => {
    await startSignIn('/bookings');
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/auth/callback?code=code-1&state=forged');
    await harness.fixture.whenStable();
    harness.detectChanges();
    const page = harness.routeNativeElement!;
    expect(page.querySelector('[role="alert"]')?.textContent).toMatch(/does not match a sign-in started here/);
    expect(TestBed.inject(Router).url).toBe('/auth/callback');
    http.expectNone(`${TEST_CONFIG.authApiUrl}/v1/auth/token`);
    expect(page.querySelector('button')?.textContent).toContain('Try again');
  });

  it('starts a new sign-in towards the same page when "Try again" is pressed', async () => {
    const state = await startSignIn('/bookings');
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl(`/auth/callback?code=used&state=${state}`);
    await nextTask();
    http.expectOne(`${TEST_CONFIG.authApiUrl}/v1/auth/token`).flush({}, { status: 401, statusText: 'Unauthorized' });
    await nextTask();
    await harness.fixture.whenStable();
    harness.detectChanges();
    expect(harness.routeNativeElement!.textContent).toContain('expired or was already used');
    harness.routeNativeElement!.querySelector('button')!.click();
    await location.gone(1);
    expect(JSON.parse(sessionStorage.getItem('astro.sales.sign-in')!).returnUrl).toBe('/bookings');
  });
});
