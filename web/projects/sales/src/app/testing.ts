/* What the sales app's component specs share: the app's providers with a fake backend. */
import { EnvironmentProviders, Provider, RESPONSE_INIT } from '@angular/core';
import { provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { provideRouter, withComponentInputBinding } from '@angular/router';
import { appConfigFromEnv, provideAppConfig } from '@astro/shared';
import type { Launch } from '@astro/shared/api/query-api/models/launch';

import { routes } from './app.routes';
import { VIEWER_TIME_ZONE } from './viewer-time-zone';

/** The query API's base URL in the specs (the demo default). */
export const QUERY_API = 'http://127.0.0.1:8082';

/**
 * The app's routes and API clients against HttpTestingController, a viewer
 * in Paris, and (as on the server) a response whose status pages can set.
 */
export function testProviders(response: ResponseInit = { status: 200 }): (Provider | EnvironmentProviders)[] {
  return [
    provideRouter(routes, withComponentInputBinding()),
    provideHttpClient(),
    provideHttpClientTesting(),
    provideAppConfig(appConfigFromEnv({ SALES_URL: 'https://astro.example' }, 'sales')),
    { provide: VIEWER_TIME_ZONE, useValue: 'Europe/Paris' },
    { provide: RESPONSE_INIT, useValue: response },
  ];
}

/** A bookable launch to the Moon; `overrides` change any field. */
export function aLaunch(overrides: Partial<Launch> = {}): Launch {
  return {
    id: '0b6f3a52-7c1d-4e1e-9a57-0d3a5c2b9e11',
    rocket_id: '5d0c3e41-9f0a-4b8e-8c1b-2f6a1d7e3c22',
    rocket_name: 'Selene IV',
    destination: 'moon',
    spaceport: 'Spaceport America',
    departure_at: '2027-03-12T16:30:00Z',
    price_per_seat_cents: 25_000_000,
    capacity: 10,
    free_seats: 3,
    seats_booked: 7,
    status: 'confirmed',
    bookable: true,
    version: 4,
    ...overrides,
  };
}
