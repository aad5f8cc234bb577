// The sales side of the query API: what visitors, bots and customers read.
import { expectProblem, fieldsOf, tokenOf } from '../../support/commands';
import { newLaunch, passenger } from '../../support/fixtures';

const UNKNOWN = '01934d2e-0000-7000-8000-000000000000';

describe('query API: GET /v1/launches', () => {
  it('lists bookable launches to anyone (200), filtered by destination', { tags: '@smoke' }, () => {
    cy.api('queryApi', 'GET', '/v1/launches', { qs: { destination: 'moon' } }).then((response) => {
      expect(response.status).to.equal(200);
      cy.matchesSpec('queryApi', 'GET', '/v1/launches', response);
    });
  });

  it('names every invalid filter (422)', () => {
    cy.api('queryApi', 'GET', '/v1/launches', { qs: { destination: 'pluto', min_free_seats: 0, sort: 'colour' } }).then((response) => {
      expectProblem(response, 422, 'validation-failed');
      cy.matchesSpec('queryApi', 'GET', '/v1/launches', response);
      expect(fieldsOf(response)).to.deep.equal(['destination', 'min_free_seats', 'sort']);
    });
  });
});

describe('query API: GET /v1/launches/{launch_id}', () => {
  it('shows a launch (200) and, asked for the version a booking answered, shows that booking (read your writes)', () => {
    newLaunch({ capacity: 5 }).then(({ launch_id }) => {
      cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/bookings`, {
        token: tokenOf('traveler'),
        body: { passengers: [passenger(), passenger('Mary Somerville')] },
      }).then((booked) => {
        expect(booked.status).to.equal(201);
        const { version } = booked.body as { version: number };
        cy.api('queryApi', 'GET', `/v1/launches/${launch_id}`, { headers: { 'Astro-Min-Version': `${launch_id}:${version}` } }).then(
          (response) => {
            expect(response.status).to.equal(200);
            cy.matchesSpec('queryApi', 'GET', '/v1/launches/{launch_id}', response);
            expect(response.headers['astro-stale']).to.equal(undefined);
            expect((response.body as { free_seats: number }).free_seats).to.equal(3);
          },
        );
      });
    });
  });

  it('answers an unknown launch and a malformed id with 404', () => {
    cy.api('queryApi', 'GET', `/v1/launches/${UNKNOWN}`).then((response) => {
      expect(response.status).to.equal(404);
      cy.matchesSpec('queryApi', 'GET', '/v1/launches/{launch_id}', response);
    });
    cy.api('queryApi', 'GET', '/v1/launches/not-an-id').its('status').should('equal', 404);
  });

  it('refuses a malformed Astro-Min-Version (422)', () => {
    cy.api('queryApi', 'GET', `/v1/launches/${Cypress.env('launchId')}`, { headers: { 'Astro-Min-Version': 'soon' } }).then((response) =>
      expectProblem(response, 422, 'validation-failed'),
    );
  });
});

describe('query API: GET /v1/me/bookings', () => {
  it("lists the caller's bookings (200, traveler and agency)", () => {
    for (const role of ['traveler', 'agency'] as const) {
      cy.api('queryApi', 'GET', '/v1/me/bookings', { token: tokenOf(role) }).then((response) => {
        expect(response.status).to.equal(200);
        cy.matchesSpec('queryApi', 'GET', '/v1/me/bookings', response);
      });
    }
  });

  it('refuses employees (403) and anonymous callers (401)', () => {
    cy.api('queryApi', 'GET', '/v1/me/bookings', { token: tokenOf('operations') }).then((response) => {
      expectProblem(response, 403, 'forbidden');
      cy.matchesSpec('queryApi', 'GET', '/v1/me/bookings', response);
    });
    cy.api('queryApi', 'GET', '/v1/me/bookings').then((response) => expectProblem(response, 401, 'unauthorized'));
  });
});
