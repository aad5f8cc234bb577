// Single sign-on over HTTP, as a web app and the auth app do it: the auth
// app's login, a one-time code for the sales site (authorization code flow
// with PKCE, S256), its exchange for the sales site's own session, and the
// refusals (wrong verifier, reuse, a redirect URI not allowed).
import { expectProblem, fieldsOf, uniqueEmail } from '../../support/commands';

const PASSWORD = 'correct horse battery staple 42';
const CLIENT = 'sales';
// The sales site's callback as this environment's auth service allows it.
const REDIRECT = `${Cypress.env('salesUrl') as string}/auth/callback`;
// RFC 7636, appendix B.
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const INVALID_CODE = 'the authorization code is invalid, expired or already used';

/** A new traveler signed in to the auth app: its access token. */
function authAppSession(): Cypress.Chainable<string> {
  const email = uniqueEmail('sso');
  const profile = { kind: 'traveler', full_name: 'Ada Lovelace', birth_date: '1985-12-10' };
  return cy.api('auth', 'POST', '/v1/auth/register', { body: { email, password: PASSWORD, profile } }).then((registered) => {
    expect(registered.status).to.equal(201);
    return cy.api('auth', 'POST', '/v1/auth/login', { body: { email, password: PASSWORD } }).then((login) => {
      expect(login.status).to.equal(200);
      return (login.body as { token: string }).token;
    });
  });
}

const authorizeBody = (redirect_uri = REDIRECT) => ({
  client_id: CLIENT,
  redirect_uri,
  code_challenge: CHALLENGE,
  code_challenge_method: 'S256',
});

const tokenBody = (code: string, code_verifier = VERIFIER) => ({
  grant_type: 'authorization_code',
  code,
  code_verifier,
  client_id: CLIENT,
  redirect_uri: REDIRECT,
});

/** A one-time code for the sales site, asked for with the auth app's token. */
function codeFor(token: string): Cypress.Chainable<string> {
  return cy.api('auth', 'POST', '/v1/auth/authorize', { token, body: authorizeBody() }).then((response) => {
    expect(response.status).to.equal(201);
    cy.matchesSpec('auth', 'POST', '/v1/auth/authorize', response);
    expect(response.headers['cache-control']).to.equal('no-store');
    // A value after a command must be yielded as a command too.
    return cy.wrap((response.body as { code: string }).code);
  });
}

describe('auth: single sign-on (authorization code with PKCE)', () => {
  it('signs the sales site in: login → authorize → token → /me', { tags: '@smoke' }, () => {
    authAppSession().then((authToken) => {
      cy.api('auth', 'GET', '/v1/auth/me', { token: authToken }).then((me) => {
        codeFor(authToken).then((code) => {
          cy.api('auth', 'POST', '/v1/auth/token', { body: tokenBody(code) }).then((session) => {
            expect(session.status).to.equal(200);
            cy.matchesSpec('auth', 'POST', '/v1/auth/token', session);
            expect(session.headers['cache-control']).to.equal('no-store');
            const { token, user_id } = session.body as { token: string; user_id: string };
            expect(user_id).to.equal((me.body as { user_id: string }).user_id);
            expect(token).not.to.equal(authToken);
            cy.api('auth', 'GET', '/v1/auth/me', { token }).then((own) => {
              expect(own.status).to.equal(200);
              expect((own.body as { user_id: string }).user_id).to.equal(user_id);
            });
          });
        });
      });
    });
  });

  it('refuses a wrong verifier (401), and the code is spent', () => {
    authAppSession().then(codeFor).then((code) => {
      cy.api('auth', 'POST', '/v1/auth/token', { body: tokenBody(code, 'x'.repeat(43)) }).then((response) => {
        expectProblem(response, 401, 'unauthorized');
        cy.matchesSpec('auth', 'POST', '/v1/auth/token', response);
        expect((response.body as { detail: string }).detail).to.equal(INVALID_CODE);
      });
      cy.api('auth', 'POST', '/v1/auth/token', { body: tokenBody(code) }).then((response) => {
        expectProblem(response, 401, 'unauthorized');
      });
    });
  });

  it('refuses a code used before (401)', () => {
    authAppSession().then(codeFor).then((code) => {
      cy.api('auth', 'POST', '/v1/auth/token', { body: tokenBody(code) }).its('status').should('equal', 200);
      cy.api('auth', 'POST', '/v1/auth/token', { body: tokenBody(code) }).then((response) => {
        expectProblem(response, 401, 'unauthorized');
        expect((response.body as { detail: string }).detail).to.equal(INVALID_CODE);
      });
    });
  });

  it('refuses a redirect URI the client does not have (422 on redirect_uri)', () => {
    authAppSession().then((token) => {
      const body = authorizeBody('https://evil.example.com/auth/callback');
      cy.api('auth', 'POST', '/v1/auth/authorize', { token, body }).then((response) => {
        expectProblem(response, 422, 'validation-failed');
        cy.matchesSpec('auth', 'POST', '/v1/auth/authorize', response);
        expect(fieldsOf(response)).to.deep.equal(['redirect_uri']);
      });
    });
  });

  it('asks for a token to issue a code (401)', () => {
    cy.api('auth', 'POST', '/v1/auth/authorize', { body: authorizeBody() }).then((response) => {
      expectProblem(response, 401, 'unauthorized');
    });
  });
});
