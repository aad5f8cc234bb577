// The IT console's API (/v1/ops/*): IT employees only.
import { expectProblem, fieldsOf, tokenOf } from '../../support/commands';


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
});
