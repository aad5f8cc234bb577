import { TestBed } from '@angular/core/testing';
import { ActivatedRouteSnapshot, Router, RouterStateSnapshot, UrlTree } from '@angular/router';

import { departmentGuard, roleGuard, signedInGuard } from './guards';
import { Session } from './session';
import { FakeLocation, configureSignOn, installWebCrypto, tokens } from './testing/sign-on-testing';

const route = {} as ActivatedRouteSnapshot;
const state = { url: '/bookings?page=2' } as RouterStateSnapshot;

describe('the sign-in guards', () => {
  let location: FakeLocation;

  beforeAll(installWebCrypto);

  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    location = configureSignOn();
  });

  const run = (guard: typeof signedInGuard) => TestBed.runInInjectionContext(() => guard(route, state));

  it('lets a signed-in user through', () => {
    TestBed.inject(Session).establish(tokens());
    expect(run(signedInGuard)).toBe(true);
  });

  it('sends anyone else to sign in, coming back to the page asked for', async () => {
    expect(run(signedInGuard)).toBe(false);
    await location.gone();
    expect(location.visited).toHaveLength(1);
    expect(JSON.parse(sessionStorage.getItem('astro.sales.sign-in')!).returnUrl).toBe('/bookings?page=2');
  });

  it('lets a user of an allowed role through', () => {
    TestBed.inject(Session).establish(tokens({ role: 'agency' }));
    expect(run(roleGuard('traveler', 'agency'))).toBe(true);
  });

  it('sends a user of another role to the home page', () => {
    TestBed.inject(Session).establish(tokens({ role: 'employee', department: 'it' }));
    const answer = run(roleGuard('traveler', 'agency'));
    expect(answer).toBeInstanceOf(UrlTree);
    expect(TestBed.inject(Router).serializeUrl(answer as UrlTree)).toBe('/');
  });

  it('sends an anonymous visitor of a role-guarded page to sign in', async () => {
    expect(run(roleGuard('traveler'))).toBe(false);
    await location.gone();
    expect(location.visited).toHaveLength(1);
  });

  it('lets an employee of an allowed department through', () => {
    TestBed.inject(Session).establish(tokens({ role: 'employee', department: 'finance' }));
    expect(run(departmentGuard('operations', 'finance'))).toBe(true);
  });

  it('sends an employee of another department, or a traveler, to /forbidden', () => {
    TestBed.inject(Session).establish(tokens({ role: 'employee', department: 'it' }));
    expect((run(departmentGuard('operations', 'finance')) as UrlTree).toString()).toBe('/forbidden');
    TestBed.inject(Session).establish(tokens({ role: 'traveler' }));
    expect((run(departmentGuard('it')) as UrlTree).toString()).toBe('/forbidden');
  });

  it('sends a visitor to sign in before any department check', async () => {
    expect(run(departmentGuard('it'))).toBe(false);
    await location.gone();
    expect(location.visited).toHaveLength(1);
  });
});
