// Single sign-on between the sales site and the auth app (authorization
// code + PKCE), against the running apps and services.
import { uniqueEmail } from '../../support/commands';
import { NAVIGATION_TIMEOUT, expectPage } from '../../support/signin';

const PASSWORD = 'orbital-tangerine-42';
const salesUrl = (): string => Cypress.env('salesUrl') as string;
const authAppUrl = (): string => Cypress.env('authAppUrl') as string;

/** A traveler registered through the auth API, for the specs that need an existing account. */
function registeredTraveler(): Cypress.Chainable<string> {
  const email = uniqueEmail('signon');
  return cy
    .api('auth', 'POST', '/v1/auth/register', {
      body: { email, password: PASSWORD, profile: { kind: 'traveler', full_name: 'Ada Lovelace', birth_date: '1985-12-10' } },
    })
    .then((response) => {
      expect(response.status, JSON.stringify(response.body)).to.equal(201);
      return email;
    });
}

describe('single sign-on', () => {
  it('registers a traveler through the auth app, signs in to the sales site, and signing out ends both sessions', () => {
    const email = uniqueEmail('signon');
    expectPage(authAppUrl(), '/authorize', 'authorizePage');
    expectPage(salesUrl(), '/auth/callback', 'callbackPage');
    expectPage(authAppUrl(), '/logout', 'logoutPage');
    cy.visit(salesUrl());
    cy.contains('header a', 'Sign in').click();
    cy.wait('@authorizePage', { timeout: NAVIGATION_TIMEOUT });
    cy.origin(authAppUrl(), { args: { email, password: PASSWORD } }, ({ email, password }) => {
      cy.contains('Sign in to continue to the sales site');
      cy.contains('a', 'Create an account').click();
      cy.location('pathname').should('eq', '/register');
      cy.get('#email').type(email);
      cy.get('#password').type(password, { log: false });
      cy.get('[data-rule]:not(.met)').should('not.exist');
      cy.get('#full-name').type('Ada Lovelace');
      cy.get('#birth-date').type('1985-12-10');
      cy.contains('button', 'Create account').click();
    });
    // Registered, signed in to the auth app, and sent back with a code.
    cy.wait('@callbackPage', { timeout: NAVIGATION_TIMEOUT });
    cy.location('origin').should('eq', new URL(salesUrl()).origin);
    cy.location('search').should('not.contain', 'code=');
    cy.contains('header button', 'Sign out').should('be.visible');
    cy.contains('header a', 'My bookings').should('have.attr', 'href', '/bookings');

    cy.contains('header button', 'Sign out').click();
    cy.wait('@logoutPage', { timeout: NAVIGATION_TIMEOUT });
    cy.origin(authAppUrl(), () => {
      cy.contains('h1', 'You are signed out');
    });

    // Both sessions ended: signing in again asks for the password.
    cy.visit(salesUrl());
    cy.contains('header a', 'Sign in').should('be.visible');
    cy.signIn(email, PASSWORD);
  });

  it('keeps the sales site signed in across a reload', () => {
    registeredTraveler().then((email) => {
      cy.signIn(email, PASSWORD);
      cy.reload();
      // A reload keeps the sales site signed in (refresh token).
      cy.contains('header button', 'Sign out').should('be.visible');
    });
  });
});

describe('the auth app', () => {
  it('answers the same message for an unknown email and a wrong password', () => {
    registeredTraveler().then((email) => {
      cy.visit(`${authAppUrl()}/login`);
      cy.checkPage('auth-login');
      cy.get('#login-email').type(uniqueEmail('nobody'));
      cy.get('#login-password').type(PASSWORD, { log: false });
      cy.get('form').contains('button', 'Sign in').click();
      cy.get('[data-test=login-error]')
        .should('have.text', 'Email or password is incorrect.')
        .invoke('text')
        .then((unknownEmail) => {
          cy.get('#login-email').clear().type(email);
          cy.get('#login-password').clear().type('not-the-right-password-42', { log: false });
          cy.get('form').contains('button', 'Sign in').click();
          cy.get('[data-test=login-error]').should('have.text', unknownEmail);
        });
    });
  });

  it('shows an /authorize with a redirect URI not allowed as an error and does not redirect', () => {
    registeredTraveler().then((email) => {
      const query = new URLSearchParams({
        client_id: 'sales',
        redirect_uri: 'https://evil.example/steal',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        state: 'cypress',
      });
      cy.visit(`${authAppUrl()}/authorize?${query}`);
      cy.contains('Sign in to continue to the sales site');
      cy.get('#login-email').type(email);
      cy.get('#login-password').type(PASSWORD, { log: false });
      cy.get('form').contains('button', 'Sign in').click();
      cy.contains('h1', 'This sign-in link does not work');
      cy.get('[data-test=authorize-error]').should('be.visible');
      cy.location('origin').should('eq', new URL(authAppUrl()).origin);
      cy.location('pathname').should('eq', '/authorize');
      cy.checkPage('auth-authorize-error');
    });
  });

  it('passes the accessibility check on its register and signed-out pages', () => {
    cy.visit(`${authAppUrl()}/register`);
    cy.contains('h1', 'Create an account');
    cy.checkPage('auth-register');
    cy.get('input[value=agency]').check();
    cy.get('#legal-name').should('be.visible');
    cy.checkPage('auth-register-agency');
    cy.visit(`${authAppUrl()}/logout`);
    cy.contains('h1', 'You are signed out');
    cy.checkPage('auth-signed-out');
  });
});
