/* What the backoffice's component specs share: the app's routes and API clients against a fake backend, an employee signed in. */
import { EnvironmentProviders, Provider } from '@angular/core';
import { HttpRequest } from '@angular/common/http';
import { HttpTestingController, TestRequest } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { provideRouter, withComponentInputBinding } from '@angular/router';
import { appConfigFromEnv, provideAppConfig } from '@astro/shared';
import type { Launch } from '@astro/shared/api/query-api/models/launch';

import { routes } from './app.routes';

/** The command API's base URL in the specs. */
export const COMMAND_API = 'http://127.0.0.1:8081';
/** The query API's base URL in the specs. */
export const QUERY_API = 'http://127.0.0.1:8082';

/** Signs an employee of `department` in, as a reload finds them (the session reads it when created). */
export function signInAs(department: string): void {
  localStorage.setItem(
    'astro.backoffice.session',
    JSON.stringify({
      refreshToken: 'refresh-1',
      refreshExpiresAt: Date.now() + 3_600_000,
      user: { userId: 'employee-1', role: 'employee', department },
    }),
  );
}

/** The app's routes and clients against HttpTestingController. */
export function testProviders(): (Provider | EnvironmentProviders)[] {
  return [
    provideRouter(routes, withComponentInputBinding()),
    provideHttpClient(),
    provideHttpClientTesting(),
    provideAppConfig(appConfigFromEnv({}, 'backoffice')),
  ];
}

/** A launch as the query API lists it; `overrides` change any field. */
export function aLaunch(overrides: Partial<Launch> = {}): Launch {
  return {
    id: '0b6f3a52-7c1d-4e1e-9a57-0d3a5c2b9e11',
    rocket_id: '5d0c3e41-9f0a-4b8e-8c1b-2f6a1d7e3c22',
    rocket_name: 'Selene IV',
    destination: 'moon',
    spaceport: 'Kourou',
    departure_at: '2027-03-12T16:30:00Z',
    price_per_seat_cents: 25_000_000,
    capacity: 10,
    free_seats: 9,
    seats_booked: 1,
    status: 'scheduled',
    bookable: true,
    version: 2,
    ...overrides,
  };
}

/**
 * The request matching `match` once the page has sent it: a command's answer
 * reaches the page through a few promise steps before it reads again, so
 * this yields to them (microtasks only, no timer) and runs change detection.
 */
export async function nextRequest(match: (request: HttpRequest<unknown>) => boolean): Promise<TestRequest> {
  const http = TestBed.inject(HttpTestingController);
  for (let step = 0; step < 50; step++) {
    TestBed.tick();
    const found = http.match(match);
    if (found.length > 0) {
      return found[0];
    }
    await Promise.resolve();
  }
  throw new Error('the page sent no such request');
}
