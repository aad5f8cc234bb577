// The IT console's API (/v1/ops/*): IT employees only.
import { eventually, expectProblem, fieldsOf, tokenOf } from '../../support/commands';


describe('query API: /v1/ops for IT', () => {
  const reads: [string, string, Record<string, string>?][] = [
    ['/v1/ops/status', '/v1/ops/status'],
    ['/v1/ops/notifications', '/v1/ops/notifications'],
    ['/v1/ops/notifications/summary', '/v1/ops/notifications/summary'],
    ['/v1/ops/logs', '/v1/ops/logs', { limit: '20' }],
    ['/v1/ops/events', '/v1/ops/events', { page_size: '20' }],
    ['/v1/ops/parked', '/v1/ops/parked'],
  ];
  for (const [path, template, qs] of reads) {
    it(`GET ${path} answers IT (200) as documented`, () => {
      cy.api('queryApi', 'GET', path, { token: tokenOf('it'), qs }).then((response) => {
        expect(response.status, JSON.stringify(response.body)).to.equal(200);
        cy.matchesSpec('queryApi', 'GET', template, response);
      });
    });

    it(`GET ${path} refuses other roles (403) and anonymous callers (401)`, () => {
      for (const role of ['traveler', 'agency', 'operations', 'finance'] as const) {
        cy.api('queryApi', 'GET', path, { token: tokenOf(role) }).then((response) => expectProblem(response, 403, 'forbidden'));
      }
      cy.api('queryApi', 'GET', path).then((response) => expectProblem(response, 401, 'unauthorized'));
    });
  }

  it('shows one notification with its attempts (200)', () => {
    cy.api('queryApi', 'GET', `/v1/ops/notifications/${Cypress.env('notificationId')}`, { token: tokenOf('it') }).then((response) => {
      expect(response.status).to.equal(200);
      cy.matchesSpec('queryApi', 'GET', '/v1/ops/notifications/{id}', response);
    });
  });

  it('names invalid filters (422) on logs and events', () => {
    cy.api('queryApi', 'GET', '/v1/ops/logs', { token: tokenOf('it'), qs: { level: 'loud' } }).then((response) => {
      expectProblem(response, 422, 'validation-failed');
      expect(fieldsOf(response)).to.deep.equal(['level']);
    });
    cy.api('queryApi', 'GET', '/v1/ops/events', { token: tokenOf('it'), qs: { page_size: '0' } }).then((response) => {
      expectProblem(response, 422, 'validation-failed');
      expect(fieldsOf(response)).to.deep.equal(['page_size']);
    });
  });

  it('answers an unknown parked event with 404', () => {
    cy.api('queryApi', 'GET', '/v1/ops/parked/0', { token: tokenOf('it') }).then((response) => {
      expectProblem(response, 404, 'parked-event-not-found');
      cy.matchesSpec('queryApi', 'GET', '/v1/ops/parked/{id}', response);
    });
  });

  it('re-queues nothing that is not dead or failed: one sent notification is 409, the bulk re-queue of none is 200', () => {
    eventually(
      () => cy.api('queryApi', 'GET', `/v1/ops/notifications/${Cypress.env('notificationId')}`, { token: tokenOf('it') }),
      (r) => (r.body as { status?: string }).status === 'sent',
      'the seeded notification sent',
    );
    cy.api('queryApi', 'POST', `/v1/ops/notifications/${Cypress.env('notificationId')}/retry`, { token: tokenOf('it') }).then(
      (response) => {
        expectProblem(response, 409, 'not-retryable');
        cy.matchesSpec('queryApi', 'POST', '/v1/ops/notifications/{id}/retry', response);
      },
    );
    cy.api('queryApi', 'POST', '/v1/ops/notifications/retry', {
      token: tokenOf('it'),
      qs: { recipient: 'nobody-at-all@cypress.example' },
    }).then((response) => {
      expect(response.status).to.equal(200);
      cy.matchesSpec('queryApi', 'POST', '/v1/ops/notifications/retry', response);
      expect(response.body).to.include({ requeued: 0 });
    });
    cy.api('queryApi', 'POST', '/v1/ops/notifications/retry', { token: tokenOf('operations') }).then((response) =>
      expectProblem(response, 403, 'forbidden'),
    );
  });

  it('replays and discards only parked events that exist (404), and a bulk replay of none is 200', () => {
    for (const [method, path, template] of [
      ['POST', '/v1/ops/parked/0/replay', '/v1/ops/parked/{id}/replay'],
      ['DELETE', '/v1/ops/parked/0', '/v1/ops/parked/{id}'],
    ] as const) {
      cy.api('queryApi', method, path, { token: tokenOf('it') }).then((response) => {
        expectProblem(response, 404, 'parked-event-not-found');
        cy.matchesSpec('queryApi', method, template, response);
      });
      cy.api('queryApi', method, path, { token: tokenOf('finance') }).then((response) => expectProblem(response, 403, 'forbidden'));
    }
    cy.api('queryApi', 'POST', '/v1/ops/parked/replay', {
      token: tokenOf('it'),
      qs: { aggregate_id: '01934d2e-0000-7000-8000-000000000000' },
    }).then((response) => {
      expect(response.status).to.equal(200);
      cy.matchesSpec('queryApi', 'POST', '/v1/ops/parked/replay', response);
      expect(response.body).to.include({ replayed: 0 });
    });
  });
});
