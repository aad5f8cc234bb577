/* What the console's component specs share: the API clients against HttpTestingController, and sample answers. */
import { EnvironmentProviders, Provider } from '@angular/core';
import { provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { Routes, provideRouter, withComponentInputBinding } from '@angular/router';
import { appConfigFromEnv, provideAppConfig } from '@astro/shared';
import type { Notification } from '@astro/shared/api/query-api/models/notification';
import type { StatusReport } from '@astro/shared/api/query-api/models/status-report';

/** The query API's base URL in the specs (the demo default). */
export const QUERY_API = 'http://127.0.0.1:8082';

/** The console's API clients against a fake backend, with `routes` (none by default). */
export function testProviders(routes: Routes = []): (Provider | EnvironmentProviders)[] {
  return [
    provideRouter(routes, withComponentInputBinding()),
    provideHttpClient(),
    provideHttpClientTesting(),
    provideAppConfig(appConfigFromEnv({}, 'ops')),
  ];
}

/** A system where every part is well; `overrides` change any field. */
export function aReport(overrides: Partial<StatusReport> = {}): StatusReport {
  return {
    checked_at: '2027-01-10T12:00:00Z',
    status: 'ok',
    services: [
      { name: 'query-api', status: 'ready', url: 'in-process', elapsed_ms: 2, body: { status: 'ready', mongo: 'up' } },
      { name: 'command-api', status: 'ready', url: 'http://command-api:8081/ready', elapsed_ms: 5, http_status: 200 },
    ],
    jetstream: {
      status: 'ok',
      streams: [
        {
          name: 'EVENTS',
          status: 'ok',
          messages: 120,
          last_sequence: 120,
          consumers: [
            { name: 'sales', num_pending: 4, num_ack_pending: 1, num_redelivered: 0, num_waiting: 1, ack_floor: 115 },
          ],
        },
      ],
    },
    projections: {
      status: 'ok',
      items: [{ name: 'finance', status: 'ok', position: 118, head: 120, lag_events: 2, lag_seconds: 0 }],
    },
    parked: { status: 'ok', total: 0, projections: [] },
    ...overrides,
  };
}

/** A booking confirmation that was sent; `overrides` change any field. */
export function aNotification(overrides: Partial<Notification> = {}): Notification {
  return {
    id: '0190a000-0000-7000-8000-0000000000f1',
    attempts: 1,
    booking_id: '0190a000-0000-7000-8000-0000000000b1',
    correlation_id: 'corr-1',
    created_at: '2027-01-10T11:59:00Z',
    event_id: '0190a000-0000-7000-8000-0000000000e1',
    event_type: 'SeatsBooked',
    kind: 'booking_confirmed',
    launch_id: '0190a000-0000-7000-8000-0000000000c1',
    recipient: 'ada@example.com',
    recipient_name: 'Ada Lovelace',
    recipient_role: 'traveler',
    requeued: 0,
    sent_at: '2027-01-10T11:59:05Z',
    status: 'sent',
    subject: 'Booking confirmed: Selene IV to the Moon',
    ...overrides,
  };
}
