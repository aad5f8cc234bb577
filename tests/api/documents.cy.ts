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

// The web apps' API clients are generated from copies of these documents
// (web/projects/shared/openapi/, `npm run generate:api -- --fetch`): a
// service whose document changed without the clients being regenerated
// fails here, not in a user's browser. Not @smoke: a deployed environment
// may run another version than this checkout.
describe("the web apps' generated API clients", () => {
  const copies: [Service, string][] = [
    ['commandApi', 'command-api'],
    ['queryApi', 'query-api'],
    ['auth', 'auth'],
  ];
  for (const [service, file] of copies) {
    it(`are generated from the document ${service} serves`, () => {
      cy.api(service, 'GET', '/openapi.json').then((response) => {
        cy.readFile(`../web/projects/shared/openapi/${file}.json`).then((copy) => {
          expect(response.body, `web/projects/shared/openapi/${file}.json is out of date: run npm run generate:api -- --fetch in web/`).to.deep.equal(copy);
        });
      });
    });
  }
});
