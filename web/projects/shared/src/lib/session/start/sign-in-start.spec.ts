import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';

import { Session } from '../session';
import { FakeLocation, configureSignOn, installWebCrypto, tokens } from '../testing/sign-on-testing';
import { SignInStart } from './sign-in-start';

@Component({ template: '<h1>My bookings</h1>' })
class BookingsStub {}

describe('the sign-in start page', () => {
  let location: FakeLocation;

  beforeAll(installWebCrypto);

  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    location = configureSignOn({
      providers: [
        provideRouter([
          { path: 'sign-in', component: SignInStart },
          { path: 'bookings', component: BookingsStub },
        ]),
      ],
    });
  });

  it('sends a visitor to the auth app, remembering the page to come back to', async () => {
    await RouterTestingHarness.create('/sign-in?return=%2Fbookings');
    expect(await location.gone()).toMatch(/^http:\/\/127\.0\.0\.1:4201\/authorize\?client_id=sales&/);
    const pending = JSON.parse(sessionStorage.getItem('astro.sales.sign-in')!) as { returnUrl: string };
    expect(pending.returnUrl).toBe('/bookings');
  });

  it('never comes back to another site: an absolute return URL becomes the home page', async () => {
    await RouterTestingHarness.create('/sign-in?return=https%3A%2F%2Fevil.example%2F');
    await location.gone();
    const pending = JSON.parse(sessionStorage.getItem('astro.sales.sign-in')!) as { returnUrl: string };
    expect(pending.returnUrl).toBe('/');
  });

  it('sends a user who is signed in already straight back', async () => {
    TestBed.inject(Session).establish(tokens());
    const harness = await RouterTestingHarness.create('/sign-in?return=%2Fbookings');
    await harness.fixture.whenStable();
    expect(TestBed.inject(Router).url).toBe('/bookings');
    expect(location.visited).toEqual([]);
  });
});
