// Every service serves its own OpenAPI 3.1 document, and answers its
// probes as that document says.
import type { Service } from '../support/commands';

const services: Service[] = ['commandApi', 'queryApi', 'auth', 'notifier'];

describe('the API documents', { tags: '@smoke' }, () => {
  for (const service of services) {
    it(`${service} serves an OpenAPI 3.1 document at /openapi.json`, () => {
      cy.api(service, 'GET', '/openapi.json').then((response) => {
        expect(response.status).to.equal(200);
        expect(response.headers['content-type']).to.match(/^application\/json/);
        const document = response.body as { openapi: string; paths: object };
        expect(document.openapi).to.match(/^3\.1\./);
        expect(Object.keys(document.paths)).to.include('/ready');
      });
    });

    it(`${service} answers /health and /metrics`, () => {
      cy.api(service, 'GET', '/health').then((response) => {
        expect(response.status).to.equal(200);
        expect(response.body).to.deep.equal({ status: 'ok' });
      });
      cy.api(service, 'GET', '/metrics').then((response) => {
        expect(response.status).to.equal(200);
        expect(response.headers['content-type']).to.match(/^text\/plain/);
        expect(response.body as string).to.include('http_requests_total');
      });
    });

    it(`${service} answers /ready as its document says`, () => {
      cy.api(service, 'GET', '/ready').then((response) => {
        expect(response.status).to.equal(200);
        cy.matchesSpec(service, 'GET', '/ready', response);
      });
    });
  }
});
