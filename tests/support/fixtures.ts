// Data a spec makes for itself through the public APIs (as operations):
// uniquely named, so specs never depend on each other or on what else the
// environment holds.
import { tokenOf } from './commands';

export interface Launch {
  launch_id: string;
  rocket_id: string;
}

const inDays = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString();

/** A departure `days` from now, as RFC 3339. */
export const departureIn = inDays;

/** A passenger of 18 to 70 at any departure of the next years. */
export const passenger = (name = 'Ada Lovelace') => ({ name, birth_date: '1985-12-10' });

/** Registers a rocket of `capacity` seats reaching the moon (as operations). */
export function newRocket(capacity = 10): Cypress.Chainable<string> {
  const name = `Cypress ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  return cy
    .api('commandApi', 'POST', '/v1/rockets', { token: tokenOf('operations'), body: { name, capacity, range: 'moon' } })
    .then((response) => {
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      return (response.body as { rocket_id: string }).rocket_id;
    });
}

/** Schedules (and, unless told otherwise, confirms) a launch to the moon. */
export function newLaunch(
  options: { capacity?: number; confirm?: boolean; price?: number; daysAhead?: number } = {},
): Cypress.Chainable<Launch> {
  return newRocket(options.capacity ?? 10).then((rocket_id) =>
    cy
      .api('commandApi', 'POST', '/v1/launches', {
        token: tokenOf('operations'),
        body: {
          rocket_id,
          spaceport: 'Kourou',
          destination: 'moon',
          departure_at: inDays(options.daysAhead ?? 90),
          price_per_seat_cents: options.price ?? 25_000_000,
        },
      })
      .then((response): Cypress.Chainable<Launch> => {
        expect(response.status, JSON.stringify(response.body)).to.equal(201);
        const launch_id = (response.body as { launch_id: string }).launch_id;
        if (options.confirm === false) {
          return cy.wrap<Launch>({ launch_id, rocket_id }, { log: false });
        }
        return cy
          .api('commandApi', 'POST', `/v1/launches/${launch_id}/confirm`, { token: tokenOf('operations') })
          .then((confirmed) => {
            expect(confirmed.status, JSON.stringify(confirmed.body)).to.equal(200);
            return cy.wrap<Launch>({ launch_id, rocket_id }, { log: false });
          });
      }),
  );
}
