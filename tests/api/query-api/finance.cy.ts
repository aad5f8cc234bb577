// Invoices and credit notes: finance sees all, a holder its own.
import { expectProblem, fieldsOf, tokenOf } from '../../support/commands';

const number = () => Cypress.env('invoiceNumber') as string;

describe('query API: GET /v1/invoices', () => {
  it('lists every document to finance and their own to a holder (200)', () => {
    for (const role of ['finance', 'traveler', 'agency'] as const) {
      cy.api('queryApi', 'GET', '/v1/invoices', { token: tokenOf(role) }).then((response) => {
        expect(response.status).to.equal(200);
        cy.matchesSpec('queryApi', 'GET', '/v1/invoices', response);
      });
    }
  });

  it('names invalid filters (422)', () => {
    cy.api('queryApi', 'GET', '/v1/invoices', { token: tokenOf('finance'), qs: { year: 'last', kind: 'receipt' } }).then((response) => {
      expectProblem(response, 422, 'validation-failed');
      expect(fieldsOf(response)).to.deep.equal(['kind', 'year']);
    });
  });

  it('refuses operations and IT (403) and anonymous callers (401)', () => {
    for (const role of ['operations', 'it'] as const) {
      cy.api('queryApi', 'GET', '/v1/invoices', { token: tokenOf(role) }).then((response) => expectProblem(response, 403, 'forbidden'));
    }
    cy.api('queryApi', 'GET', '/v1/invoices').then((response) => expectProblem(response, 401, 'unauthorized'));
  });
});

describe('query API: one invoice and its PDF', () => {
  it('shows the invoice to finance and to its holder (200), not to another holder (404)', () => {
    for (const role of ['finance', 'traveler'] as const) {
      cy.api('queryApi', 'GET', `/v1/invoices/${number()}`, { token: tokenOf(role) }).then((response) => {
        expect(response.status).to.equal(200);
        cy.matchesSpec('queryApi', 'GET', '/v1/invoices/{number}', response);
      });
    }
    cy.api('queryApi', 'GET', `/v1/invoices/${number()}`, { token: tokenOf('agency') }).then((response) => {
      expect(response.status).to.equal(404);
      cy.matchesSpec('queryApi', 'GET', '/v1/invoices/{number}', response);
    });
  });

  it('downloads the PDF (200, application/pdf)', () => {
    cy.request({
      url: `${Cypress.env('queryApi')}/v1/invoices/${number()}.pdf`,
      headers: { Authorization: `Bearer ${tokenOf('finance')}` },
      encoding: 'binary',
      log: false,
    }).then((response) => {
      expect(response.status).to.equal(200);
      expect(response.headers['content-type']).to.equal('application/pdf');
      expect((response.body as string).startsWith('%PDF-')).to.equal(true);
    });
  });
});
