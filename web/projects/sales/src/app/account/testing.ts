// Test helpers of the account pages' component specs (imported by specs only).
import { provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { EnvironmentProviders, Provider, signal } from '@angular/core';
import { provideRouter } from '@angular/router';
import { Session, SessionUser, provideAppConfig } from '@astro/shared';
import { Booking } from '@astro/shared/api/query-api/models/booking';

import { VIEWER_TIME_ZONE } from '../viewer-time-zone';

/** Where the specs' APIs are. */
export const TEST_API = { command: 'http://command.test', query: 'http://query.test', auth: 'http://auth.test' };

/** The providers of a component spec: HTTP testing, the config, a viewer in Paris, a signed-in user of `role`. */
export function testProviders(role: SessionUser['role'] = 'traveler'): (Provider | EnvironmentProviders)[] {
  return [
    provideHttpClient(),
    provideHttpClientTesting(),
    provideRouter([]),
    provideAppConfig({
      commandApiUrl: TEST_API.command,
      queryApiUrl: TEST_API.query,
      authApiUrl: TEST_API.auth,
      authAppUrl: 'http://auth-app.test',
      salesUrl: 'http://sales.test',
      clientId: 'sales',
    }),
    { provide: VIEWER_TIME_ZONE, useValue: 'Europe/Paris' },
    { provide: Session, useValue: { user: signal({ userId: 'u1', role }), signedIn: signal(true) } },
  ];
}

const DAY = 86_400_000;

/** An active booking of 2 seats at EUR 250,000.00 on a launch `daysAhead` days away. */
export function aBooking(daysAhead: number, overrides: Partial<Booking> = {}): Booking {
  return {
    booking_id: 'b-1',
    launch_id: 'l-1',
    booked_at: '2026-01-01T00:00:00Z',
    holder_kind: 'traveler',
    passengers: [
      { name: 'Ada Lovelace', birth_date: '1985-12-10' },
      { name: 'Mary Somerville', birth_date: '1980-02-26' },
    ],
    seats: 2,
    status: 'active',
    total_cents: 50_000_000,
    unit_price_cents: 25_000_000,
    version: 5,
    launch: {
      departure_at: new Date(Date.now() + daysAhead * DAY + 3_600_000).toISOString(),
      destination: 'moon',
      rocket_name: 'Selene',
      spaceport: 'Kourou',
      status: 'confirmed',
    },
    ...overrides,
  };
}
