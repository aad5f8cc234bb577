// The caller's own profile on the query API: what the sales site's profile
// page shows, and the change PUT /v1/profiles/me made, read back at once.
import { eventually, expectProblem, tokenOf, uniqueEmail } from '../../support/commands';

const PASSWORD = 'correct horse battery staple 42';

describe('query API: GET /v1/profiles/me', () => {
  it("shows a traveler's profile (200) and, asked for the version PUT answered, the change just made", () => {
    const name = `Ada King ${Date.now()}`;
    cy.api('commandApi', 'PUT', '/v1/profiles/me', {
      token: tokenOf('traveler'),
      body: { profile: { kind: 'traveler', full_name: name, birth_date: '1985-12-10' } },
    }).then((put) => {
      expect(put.status).to.equal(200);
      const { version } = put.body as { version: number };
      cy.api('queryApi', 'GET', '/v1/profiles/me', { token: tokenOf('traveler'), qs: { min_version: version } }).then((response) => {
        expect(response.status).to.equal(200);
        cy.matchesSpec('queryApi', 'GET', '/v1/profiles/me', response);
        expect(response.headers['astro-stale']).to.equal(undefined);
        const body = response.body as { version: number; profile: { kind: string; full_name: string } };
        expect(body.version).to.be.at.least(version);
        expect(body.profile).to.include({ kind: 'traveler', full_name: name });
      });
    });
  });

  it("shows an agency's legal data to the agency (200)", () => {
    cy.api('queryApi', 'GET', '/v1/profiles/me', { token: tokenOf('agency') }).then((response) => {
      expect(response.status).to.equal(200);
      cy.matchesSpec('queryApi', 'GET', '/v1/profiles/me', response);
      expect((response.body as { profile: { kind: string } }).profile.kind).to.equal('agency');
    });
  });

  it('shows a newly registered traveler the profile they registered with, once projected', () => {
    const email = uniqueEmail('profile');
    cy.api('auth', 'POST', '/v1/auth/register', {
      body: { email, password: PASSWORD, profile: { kind: 'traveler', full_name: 'Mae Jemison', birth_date: '1956-10-17' } },
    }).then((registered) => {
      expect(registered.status).to.equal(201);
      cy.api('auth', 'POST', '/v1/auth/login', { body: { email, password: PASSWORD } }).then((login) => {
        const token = (login.body as { token: string }).token;
        // Until the profiles projector has it, the answer is 404 "no profile yet".
        eventually(
          () => cy.api('queryApi', 'GET', '/v1/profiles/me', { token }),
          (r) => r.status === 200,
          'the registration projected',
        ).then((response) => {
          expect((response.body as { profile: { full_name: string } }).profile.full_name).to.equal('Mae Jemison');
        });
      });
    });
  });

  it('refuses an anonymous caller (401) and an employee (403)', () => {
    cy.api('queryApi', 'GET', '/v1/profiles/me').then((response) => {
      expectProblem(response, 401, 'unauthorized');
      cy.matchesSpec('queryApi', 'GET', '/v1/profiles/me', response);
    });
    cy.api('queryApi', 'GET', '/v1/profiles/me', { token: tokenOf('finance') }).then((response) => {
      expect(response.status).to.equal(403);
      cy.matchesSpec('queryApi', 'GET', '/v1/profiles/me', response);
    });
  });

  it('refuses a min_version that is not a whole number ≥ 1 (422)', () => {
    cy.api('queryApi', 'GET', '/v1/profiles/me', { token: tokenOf('traveler'), qs: { min_version: 0 } }).then((response) => {
      expectProblem(response, 422, 'validation-failed');
      cy.matchesSpec('queryApi', 'GET', '/v1/profiles/me', response);
    });
  });
});
