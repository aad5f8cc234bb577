// The auth service from outside: registration, sessions, the caller's
// account, employees and the signing key. Every success is checked against
// the service's own /openapi.json; every refusal is problem+json.
import { expectProblem, fieldsOf, tokenOf, uniqueEmail } from '../../support/commands';

const PASSWORD = 'correct horse battery staple 42';
const traveler = (email: string) => ({
  email,
  password: PASSWORD,
  profile: { kind: 'traveler', full_name: 'Ada Lovelace', birth_date: '1985-12-10' },
});

/** Registers a new traveler and logs in: its session. */
function newTravelerSession(label: string): Cypress.Chainable<{ email: string; token: string; refresh_token: string }> {
  const email = uniqueEmail(label);
  return cy.api('auth', 'POST', '/v1/auth/register', { body: traveler(email) }).then((registered) => {
    expect(registered.status).to.equal(201);
    return cy.api('auth', 'POST', '/v1/auth/login', { body: { email, password: PASSWORD } }).then((login) => {
      expect(login.status).to.equal(200);
      const session = login.body as { token: string; refresh_token: string };
      return { email, token: session.token, refresh_token: session.refresh_token };
    });
  });
}

describe('auth: POST /v1/auth/register', () => {
  it('creates a traveler (201) whose email is stored lower-cased', { tags: '@smoke' }, () => {
    const email = uniqueEmail('Register');
    cy.api('auth', 'POST', '/v1/auth/register', { body: traveler(email.toUpperCase()) }).then((response) => {
      expect(response.status).to.equal(201);
      cy.matchesSpec('auth', 'POST', '/v1/auth/register', response);
      expect(response.body).to.include({ email: email.toLowerCase(), role: 'traveler' });
    });
  });

  it('refuses an email already taken, in any case (409)', () => {
    const email = uniqueEmail('taken');
    cy.api('auth', 'POST', '/v1/auth/register', { body: traveler(email) }).its('status').should('equal', 201);
    cy.api('auth', 'POST', '/v1/auth/register', { body: traveler(email.toUpperCase()) }).then((response) => {
      expectProblem(response, 409, 'email-taken');
      cy.matchesSpec('auth', 'POST', '/v1/auth/register', response);
    });
  });

  it('names every invalid field (422)', () => {
    const body = {
      email: 'not an email',
      password: 'short',
      profile: { kind: 'traveler', full_name: ' ', birth_date: '2020-01-01' },
    };
    cy.api('auth', 'POST', '/v1/auth/register', { body }).then((response) => {
      expectProblem(response, 422, 'validation-failed');
      cy.matchesSpec('auth', 'POST', '/v1/auth/register', response);
      expect(fieldsOf(response)).to.include.members(['email', 'password', 'profile.full_name', 'profile.birth_date']);
    });
  });

  it('refuses an employee registering themselves (422 on profile.kind)', () => {
    const body = { email: uniqueEmail('self-employee'), password: PASSWORD, profile: { kind: 'employee', full_name: 'Eve' } };
    cy.api('auth', 'POST', '/v1/auth/register', { body }).then((response) => {
      expectProblem(response, 422, 'validation-failed');
      expect(fieldsOf(response)).to.include('profile.kind');
    });
  });

  it('refuses a body that is not JSON (400) or not sent as JSON (415)', () => {
    cy.api('auth', 'POST', '/v1/auth/register', { body: '{"email": ', headers: { 'Content-Type': 'application/json' } }).then(
      (response) => {
        expectProblem(response, 400, 'malformed-request');
        cy.matchesSpec('auth', 'POST', '/v1/auth/register', response);
      },
    );
    cy.api('auth', 'POST', '/v1/auth/register', { body: 'email=a', headers: { 'Content-Type': 'text/plain' } }).then((response) => {
      expectProblem(response, 415, 'unsupported-media-type');
      cy.matchesSpec('auth', 'POST', '/v1/auth/register', response);
    });
  });

  it('answers a method the path does not serve with 405 and Allow', () => {
    cy.api('auth', 'GET', '/v1/auth/register').then((response) => {
      expectProblem(response, 405, 'method-not-allowed');
      expect(response.headers.allow).to.equal('POST');
    });
  });
});

describe('auth: sessions', () => {
  it('logs in (200) with a session the document describes', { tags: '@smoke' }, () => {
    newTravelerSession('login').then(({ email }) => {
      cy.api('auth', 'POST', '/v1/auth/login', { body: { email: email.toUpperCase(), password: PASSWORD } }).then((response) => {
        expect(response.status).to.equal(200);
        cy.matchesSpec('auth', 'POST', '/v1/auth/login', response);
        expect(response.body).to.include({ token_type: 'Bearer', role: 'traveler' });
      });
    });
  });

  it('answers a wrong password and an unknown email alike (401, same body)', () => {
    newTravelerSession('wrong').then(({ email }) => {
      cy.api('auth', 'POST', '/v1/auth/login', { body: { email, password: 'not the password at all' } }).then((wrong) => {
        expectProblem(wrong, 401, 'unauthorized');
        cy.matchesSpec('auth', 'POST', '/v1/auth/login', wrong);
        cy.api('auth', 'POST', '/v1/auth/login', { body: { email: uniqueEmail('nobody'), password: 'not the password at all' } }).then(
          (unknown) => {
            expectProblem(unknown, 401, 'unauthorized');
            expect(unknown.body).to.deep.equal(wrong.body);
          },
        );
      });
    });
  });

  it('throttles repeated failures on one account (429 with Retry-After)', () => {
    newTravelerSession('throttle').then(({ email }) => {
      const attempt = () => cy.api('auth', 'POST', '/v1/auth/login', { body: { email, password: 'wrong password, again' } });
      // The first failures are free (LOGIN_FREE_FAILURES_PER_PAIR, 5 by default).
      for (let i = 0; i < 5; i += 1) {
        attempt().its('status').should('equal', 401);
      }
      attempt().then((response) => {
        expectProblem(response, 429, 'too-many-attempts');
        cy.matchesSpec('auth', 'POST', '/v1/auth/login', response);
        expect(Number(response.headers['retry-after'])).to.be.greaterThan(0);
      });
    });
  });

  it('refreshes a session once; the reused refresh token is refused (401)', () => {
    newTravelerSession('refresh').then(({ refresh_token }) => {
      cy.api('auth', 'POST', '/v1/auth/refresh', { body: { refresh_token } }).then((response) => {
        expect(response.status).to.equal(200);
        cy.matchesSpec('auth', 'POST', '/v1/auth/refresh', response);
      });
      cy.api('auth', 'POST', '/v1/auth/refresh', { body: { refresh_token } }).then((response) => {
        expectProblem(response, 401, 'unauthorized');
      });
    });
  });

  it('requires the refresh token (422)', () => {
    cy.api('auth', 'POST', '/v1/auth/refresh', { body: {} }).then((response) => {
      expectProblem(response, 422, 'validation-failed');
      expect(fieldsOf(response)).to.deep.equal(['refresh_token']);
    });
  });

  it('logs out (204): the token is then refused by every service', () => {
    newTravelerSession('logout').then(({ token }) => {
      cy.api('auth', 'GET', '/v1/auth/me', { token }).its('status').should('equal', 200);
      cy.api('auth', 'POST', '/v1/auth/logout', { token }).then((response) => {
        expect(response.status).to.equal(204);
      });
      // Revocation reaches the other services through NATS: wait for it.
      const refused = (service: 'auth' | 'queryApi' | 'commandApi', method: string, path: string, body?: object) => {
        const check = (attempt: number): void => {
          cy.api(service, method, path, { token, body }).then((response) => {
            if (response.status !== 401 && attempt < 50) {
              cy.wait(100, { log: false });
              check(attempt + 1);
            } else {
              expectProblem(response, 401, 'unauthorized');
            }
          });
        };
        check(0);
      };
      refused('auth', 'GET', '/v1/auth/me');
      refused('queryApi', 'GET', '/v1/me/bookings');
      refused('commandApi', 'PUT', '/v1/profiles/me', {
        profile: { kind: 'traveler', full_name: 'Ada Byron', birth_date: '1985-12-10' },
      });
    });
  });

  it('refuses logout without a token (401)', () => {
    cy.api('auth', 'POST', '/v1/auth/logout').then((response) => expectProblem(response, 401, 'unauthorized'));
  });
});

describe('auth: the account and the signing key', () => {
  it("GET /v1/auth/me answers the caller's account (200)", () => {
    cy.api('auth', 'GET', '/v1/auth/me', { token: tokenOf('traveler') }).then((response) => {
      expect(response.status).to.equal(200);
      cy.matchesSpec('auth', 'GET', '/v1/auth/me', response);
      expect(response.body).to.include({ email: Cypress.env('email_traveler'), role: 'traveler' });
    });
  });

  it('GET /v1/auth/me refuses no token and a forged one (401)', () => {
    cy.api('auth', 'GET', '/v1/auth/me').then((response) => expectProblem(response, 401, 'unauthorized'));
    cy.api('auth', 'GET', '/v1/auth/me', { token: 'En0KEwoEdGVzdA' }).then((response) => expectProblem(response, 401, 'unauthorized'));
  });

  it('GET /v1/auth/public-key answers the Ed25519 verification key (200)', () => {
    cy.api('auth', 'GET', '/v1/auth/public-key').then((response) => {
      expect(response.status).to.equal(200);
      cy.matchesSpec('auth', 'GET', '/v1/auth/public-key', response);
      expect((response.body as { algorithm: string }).algorithm).to.equal('ed25519');
    });
  });
});

describe('auth: POST /v1/auth/employees', () => {
  const employee = () => ({ email: uniqueEmail('employee'), password: PASSWORD, department: 'finance', full_name: 'Emmy Noether' });

  it('lets IT create an employee (201) who can log in', () => {
    const body = employee();
    cy.api('auth', 'POST', '/v1/auth/employees', { token: tokenOf('it'), body }).then((response) => {
      expect(response.status).to.equal(201);
      cy.matchesSpec('auth', 'POST', '/v1/auth/employees', response);
    });
    cy.api('auth', 'POST', '/v1/auth/login', { body: { email: body.email, password: PASSWORD } }).then((response) => {
      expect(response.status).to.equal(200);
      expect(response.body).to.include({ role: 'employee', department: 'finance' });
    });
  });

  for (const role of ['traveler', 'agency', 'operations', 'finance'] as const) {
    it(`refuses a ${role} (403)`, () => {
      cy.api('auth', 'POST', '/v1/auth/employees', { token: tokenOf(role), body: employee() }).then((response) => {
        expectProblem(response, 403, 'forbidden');
        cy.matchesSpec('auth', 'POST', '/v1/auth/employees', response);
      });
    });
  }

  it('refuses an anonymous caller (401)', () => {
    cy.api('auth', 'POST', '/v1/auth/employees', { body: employee() }).then((response) => expectProblem(response, 401, 'unauthorized'));
  });

  it('names every invalid field (422)', () => {
    const body = { email: 'x', password: PASSWORD, department: 'finance', full_name: ' ' };
    cy.api('auth', 'POST', '/v1/auth/employees', { token: tokenOf('it'), body }).then((response) => {
      expectProblem(response, 422, 'validation-failed');
      cy.matchesSpec('auth', 'POST', '/v1/auth/employees', response);
      expect(fieldsOf(response)).to.include.members(['email', 'full_name']);
    });
  });

  it('refuses a department that does not exist (422 on department)', () => {
    const body = { ...employee(), department: 'marketing' };
    cy.api('auth', 'POST', '/v1/auth/employees', { token: tokenOf('it'), body }).then((response) => {
      expectProblem(response, 422, 'validation-failed');
      expect(fieldsOf(response)).to.deep.equal(['department']);
    });
  });
});
