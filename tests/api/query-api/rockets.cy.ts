// The fleet (GET /v1/rockets): operations employees only, read from the
// event store, so a rocket is listed as soon as its registration answered.
import { expectProblem, fieldsOf, tokenOf } from '../../support/commands';

interface Rocket {
  rocket_id: string;
  name: string;
  capacity: number;
  range: string;
  registered_at: string;
}

interface RocketPage {
  items: Rocket[];
  page: number;
  page_size: number;
  total: number;
}

/** Registers `name` (as operations); its id. */
function register(name: string, capacity: number, range: string): Cypress.Chainable<string> {
  return cy
    .api('commandApi', 'POST', '/v1/rockets', { token: tokenOf('operations'), body: { name, capacity, range } })
    .then((response) => {
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      return (response.body as { rocket_id: string }).rocket_id;
    });
}

describe('query API: GET /v1/rockets', () => {
  // Unique to this run: the environment may hold other rockets, and other
  // specs register theirs at the same time.
  const tag = `Fleet ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

  it('lists the rockets just registered to operations, newest first, with seats and range (200)', () => {
    register(`${tag} Alpha`, 4, 'moon').then((alpha) =>
      register(`${tag} Beta`, 12, 'mars').then((beta) => {
        cy.api('queryApi', 'GET', '/v1/rockets', { token: tokenOf('operations'), qs: { q: tag.toUpperCase() } }).then((response) => {
          expect(response.status, JSON.stringify(response.body)).to.equal(200);
          cy.matchesSpec('queryApi', 'GET', '/v1/rockets', response);
          expect(response.headers['cache-control']).to.equal('private, no-store');
          const page = response.body as RocketPage;
          expect(page.total).to.equal(2);
          expect(page.items.map((r) => [r.rocket_id, r.name, r.capacity, r.range])).to.deep.equal([
            [beta, `${tag} Beta`, 12, 'mars'],
            [alpha, `${tag} Alpha`, 4, 'moon'],
          ]);
          expect(Date.parse(page.items[0].registered_at)).to.be.at.least(Date.parse(page.items[1].registered_at));
        });
        cy.api('queryApi', 'GET', '/v1/rockets', { token: tokenOf('operations'), qs: { q: tag, page: 2, page_size: 1 } }).then(
          (response) => {
            expect(response.status).to.equal(200);
            cy.matchesSpec('queryApi', 'GET', '/v1/rockets', response);
            const page = response.body as RocketPage;
            expect(page).to.include({ page: 2, page_size: 1, total: 2 });
            expect(page.items.map((r) => r.rocket_id)).to.deep.equal([alpha]);
          },
        );
      }),
    );
  });

  it('lists the whole fleet without a filter (200)', () => {
    cy.api('queryApi', 'GET', '/v1/rockets', { token: tokenOf('operations') }).then((response) => {
      expect(response.status).to.equal(200);
      cy.matchesSpec('queryApi', 'GET', '/v1/rockets', response);
      const page = response.body as RocketPage;
      expect(page).to.include({ page: 1, page_size: 20 });
      expect(page.items.length).to.be.at.most(20);
      expect(page.total).to.be.at.least(page.items.length);
    });
  });

  it('refuses every other role (403) and anonymous callers (401)', () => {
    for (const role of ['traveler', 'agency', 'finance', 'it'] as const) {
      cy.api('queryApi', 'GET', '/v1/rockets', { token: tokenOf(role) }).then((response) => {
        expectProblem(response, 403, 'forbidden');
        cy.matchesSpec('queryApi', 'GET', '/v1/rockets', response);
      });
    }
    cy.api('queryApi', 'GET', '/v1/rockets').then((response) => {
      expectProblem(response, 401, 'unauthorized');
      cy.matchesSpec('queryApi', 'GET', '/v1/rockets', response);
    });
  });

  it('names each invalid parameter (422)', () => {
    cy.api('queryApi', 'GET', '/v1/rockets', {
      token: tokenOf('operations'),
      qs: { page: 0, page_size: 101, q: 'x'.repeat(101) },
    }).then((response) => {
      expectProblem(response, 422, 'validation-failed');
      cy.matchesSpec('queryApi', 'GET', '/v1/rockets', response);
      expect(fieldsOf(response)).to.deep.equal(['page', 'page_size', 'q']);
    });
  });
});
