// Signing in to the sales site through the auth app, as a person does it:
// the sales site's "Sign in" sends the browser to the auth app (another
// origin: another port), the login form there sends it back with a code.
import type { Role } from './commands';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Cypress {
    interface Chainable {
      /**
       * Visits the sales site, clicks "Sign in", fills the auth app's login
       * form with `email` and `password`, and waits until the sales site
       * shows the user signed in ("Sign out" in its header). The auth app
       * must not be signed in already (it would not ask for the password).
       */
      signIn(email: string, password: string): Chainable<void>;
    }
  }
}

/**
 * Aliases the browser's next request for `pathname` on the app at `appUrl`
 * (its page, not an API call), so that a spec can wait for a navigation
 * that an app makes a moment after a click. The apps hash a PKCE verifier
 * or call an API before they navigate: without this wait, the next
 * `cy.origin` would start while the browser is still on the page it leaves.
 * Waiting on the request needs no access to either page.
 */
export function expectPage(appUrl: string, pathname: string, alias: string): void {
  // A URL pattern: a hostname-and-port matcher does not see page requests.
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const origin = new URL(appUrl).origin;
  cy.intercept({ method: 'GET', url: new RegExp(`^${escape(origin)}${escape(pathname)}(\\?|$)`) }).as(alias);
}

/** How long a navigation may take: a sign-in hashes a password (argon2id) on a busy test machine. */
export const NAVIGATION_TIMEOUT = 30000;

/**
 * Opens the app at `appUrl` as `role`: its guard sends the browser to the
 * auth app, whose login form sends it back signed in (authorization code +
 * PKCE). The auth app must not be signed in already.
 */
export function openAppAs(appUrl: string, role: Role): void {
  const authAppUrl = Cypress.env('authAppUrl') as string;
  expectPage(authAppUrl, '/authorize', 'authorizePage');
  expectPage(appUrl, '/auth/callback', 'callbackPage');
  cy.visit(appUrl);
  cy.wait('@authorizePage', { timeout: NAVIGATION_TIMEOUT });
  cy.origin(
    authAppUrl,
    { args: { email: Cypress.env(`email_${role}`) as string, password: Cypress.env('password') as string } },
    ({ email, password }) => {
      cy.get('#login-email').type(email);
      cy.get('#login-password').type(password, { log: false });
      cy.get('form').contains('button', 'Sign in').click();
    },
  );
  cy.wait('@callbackPage', { timeout: NAVIGATION_TIMEOUT });
  cy.location('origin').should('eq', new URL(appUrl).origin);
}

Cypress.Commands.add('signIn', (email: string, password: string) => {
  const salesUrl = Cypress.env('salesUrl') as string;
  const authAppUrl = Cypress.env('authAppUrl') as string;
  expectPage(authAppUrl, '/authorize', 'authorizePage');
  expectPage(salesUrl, '/auth/callback', 'callbackPage');
  cy.visit(salesUrl);
  cy.contains('header a', 'Sign in').click();
  cy.wait('@authorizePage', { timeout: NAVIGATION_TIMEOUT });
  cy.origin(authAppUrl, { args: { email, password } }, ({ email, password }) => {
    cy.location('pathname').should('eq', '/authorize');
    cy.get('#login-email').type(email);
    cy.get('#login-password').type(password, { log: false });
    cy.get('form').contains('button', 'Sign in').click();
  });
  cy.wait('@callbackPage', { timeout: NAVIGATION_TIMEOUT });
  cy.location('origin').should('eq', new URL(salesUrl).origin);
  cy.contains('header button', 'Sign out').should('be.visible');
});

