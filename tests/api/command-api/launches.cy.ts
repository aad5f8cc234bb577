// The command API's rockets and launch lifecycle, from outside.
import { expectProblem, fieldsOf, tokenOf } from '../../support/commands';
import { departureIn, newLaunch, newRocket } from '../../support/fixtures';

describe('command API: POST /v1/rockets', () => {
  it('registers a rocket (201, as operations)', () => {
    cy.api('commandApi', 'POST', '/v1/rockets', {
      token: tokenOf('operations'),
      body: { name: 'Cypress Hopper', capacity: 12, range: 'mars' },
    }).then((response) => {
      expect(response.status).to.equal(201);
      cy.matchesSpec('commandApi', 'POST', '/v1/rockets', response);
    });
  });

  it('names every invalid field (422) and refuses unknown ones', () => {
    cy.api('commandApi', 'POST', '/v1/rockets', {
      token: tokenOf('operations'),
      body: { name: ' ', capacity: 0, range: 'moon' },
    }).then((response) => {
      expectProblem(response, 422, 'validation-failed');
      cy.matchesSpec('commandApi', 'POST', '/v1/rockets', response);
      expect(fieldsOf(response)).to.deep.equal(['capacity', 'name']);
    });
    cy.api('commandApi', 'POST', '/v1/rockets', {
      token: tokenOf('operations'),
      body: { name: 'X', capacity: 3, range: 'moon', colour: 'red' },
    }).then((response) => expectProblem(response, 422, 'validation-failed'));
  });

  for (const role of ['traveler', 'agency', 'finance', 'it'] as const) {
    it(`refuses a ${role} (403)`, () => {
      cy.api('commandApi', 'POST', '/v1/rockets', {
        token: tokenOf(role),
        body: { name: 'Nope', capacity: 3, range: 'moon' },
      }).then((response) => {
        expectProblem(response, 403, 'forbidden');
        cy.matchesSpec('commandApi', 'POST', '/v1/rockets', response);
      });
    });
  }

  it('refuses an anonymous caller (401), a body that is not JSON (400) and another media type (415)', () => {
    cy.api('commandApi', 'POST', '/v1/rockets', { body: { name: 'Nope', capacity: 3, range: 'moon' } }).then((response) =>
      expectProblem(response, 401, 'unauthorized'),
    );
    cy.api('commandApi', 'POST', '/v1/rockets', {
      token: tokenOf('operations'),
      body: '{"name":',
      headers: { 'Content-Type': 'application/json' },
    }).then((response) => expectProblem(response, 400, 'malformed-request'));
    cy.api('commandApi', 'POST', '/v1/rockets', {
      token: tokenOf('operations'),
      body: 'name=x',
      headers: { 'Content-Type': 'text/plain' },
    }).then((response) => expectProblem(response, 415, 'unsupported-media-type'));
  });
});

describe('command API: the launch lifecycle', () => {
  it('schedules (201), confirms (200), delays (200) and aborts (200) a launch', () => {
    newLaunch({ confirm: false }).then(({ launch_id }) => {
      cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/confirm`, { token: tokenOf('operations') }).then((response) => {
        expect(response.status).to.equal(200);
        cy.matchesSpec('commandApi', 'POST', '/v1/launches/{launch_id}/confirm', response);
      });
      cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/delay`, {
        token: tokenOf('operations'),
        body: { new_departure_at: departureIn(120), reason: 'weather' },
      }).then((response) => {
        expect(response.status).to.equal(200);
        cy.matchesSpec('commandApi', 'POST', '/v1/launches/{launch_id}/delay', response);
      });
      cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/abort`, {
        token: tokenOf('operations'),
        body: { reason: 'engine anomaly' },
      }).then((response) => {
        expect(response.status).to.equal(200);
        cy.matchesSpec('commandApi', 'POST', '/v1/launches/{launch_id}/abort', response);
      });
      // An aborted launch cannot be aborted again, confirmed or delayed.
      cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/abort`, {
        token: tokenOf('operations'),
        body: { reason: 'again' },
      }).then((response) => {
        expect(response.status).to.equal(409);
        cy.matchesSpec('commandApi', 'POST', '/v1/launches/{launch_id}/abort', response);
      });
      cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/confirm`, { token: tokenOf('operations') }).its('status').should('equal', 409);
    });
  });

  it('refuses a departure in the past and an unknown rocket (422)', () => {
    newRocket().then((rocket_id) => {
      cy.api('commandApi', 'POST', '/v1/launches', {
        token: tokenOf('operations'),
        body: { rocket_id, spaceport: 'Kourou', destination: 'moon', departure_at: departureIn(-1), price_per_seat_cents: 100 },
      }).then((response) => {
        expectProblem(response, 422, 'validation-failed');
        expect(fieldsOf(response)).to.deep.equal(['departure_at']);
      });
    });
    cy.api('commandApi', 'POST', '/v1/launches', {
      token: tokenOf('operations'),
      body: {
        rocket_id: '01934d2e-0000-7000-8000-000000000000',
        spaceport: 'Kourou',
        destination: 'moon',
        departure_at: departureIn(30),
        price_per_seat_cents: 100,
      },
    }).then((response) => {
      expectProblem(response, 422, 'validation-failed');
      expect(fieldsOf(response)).to.deep.equal(['rocket_id']);
    });
  });

  it('refuses a delay that is not later (422) and a lift-off before departure (409)', () => {
    newLaunch().then(({ launch_id }) => {
      cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/delay`, {
        token: tokenOf('operations'),
        body: { new_departure_at: departureIn(1), reason: 'earlier' },
      }).then((response) => {
        expectProblem(response, 422, 'validation-failed');
        expect(fieldsOf(response)).to.deep.equal(['new_departure_at']);
      });
      cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/launched`, { token: tokenOf('operations') }).then((response) => {
        expect(response.status).to.equal(409);
        cy.matchesSpec('commandApi', 'POST', '/v1/launches/{launch_id}/launched', response);
      });
    });
  });

  it('answers 404 for an unknown launch and for a malformed id', () => {
    cy.api('commandApi', 'POST', '/v1/launches/01934d2e-0000-7000-8000-000000000000/confirm', { token: tokenOf('operations') }).then(
      (response) => {
        expect(response.status).to.equal(404);
        cy.matchesSpec('commandApi', 'POST', '/v1/launches/{launch_id}/confirm', response);
      },
    );
    cy.api('commandApi', 'POST', '/v1/launches/not-an-id/confirm', { token: tokenOf('operations') }).its('status').should('equal', 404);
  });

  it('refuses the lifecycle to other roles (403) and to anonymous callers (401)', () => {
    newLaunch({ confirm: false }).then(({ launch_id }) => {
      for (const role of ['traveler', 'agency', 'finance', 'it'] as const) {
        cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/confirm`, { token: tokenOf(role) }).then((response) =>
          expectProblem(response, 403, 'forbidden'),
        );
      }
      cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/confirm`).then((response) => expectProblem(response, 401, 'unauthorized'));
    });
  });
});
