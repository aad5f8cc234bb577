// Signing in to the sales site through the auth app, as a person does it:
// the sales site's "Sign in" sends the browser to the auth app (another
// origin: another port), the login form there sends it back with a code.

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

Cypress.Commands.add('signIn', (email: string, password: string) => {
  const salesUrl = Cypress.env('salesUrl') as string;
  cy.visit(salesUrl);
  cy.contains('header a', 'Sign in').click();
  cy.origin(Cypress.env('authAppUrl') as string, { args: { email, password } }, ({ email, password }) => {
    cy.location('pathname').should('eq', '/authorize');
    cy.get('#login-email').type(email);
    cy.get('#login-password').type(password, { log: false });
    cy.get('form').contains('button', 'Sign in').click();
  });
  cy.location('origin').should('eq', new URL(salesUrl).origin);
  cy.contains('header button', 'Sign out').should('be.visible');
});

export {};
