// The employees' apps (the IT console and the backoffice): an employee of
// the right department signs in through the auth app and gets the app; an
// employee of another department gets "not for your account".
import { NAVIGATION_TIMEOUT, expectPage } from '../../support/signin';

type Employee = 'it' | 'operations' | 'finance';

/** Opens the app at `appUrl` as `who`: its guard sends them to the auth app, which sends them back signed in. */
function openAs(appUrl: string, who: Employee): void {
  const authAppUrl = Cypress.env('authAppUrl') as string;
  expectPage(authAppUrl, '/authorize', 'authorizePage');
  expectPage(appUrl, '/auth/callback', 'callbackPage');
  cy.visit(appUrl);
  cy.wait('@authorizePage', { timeout: NAVIGATION_TIMEOUT });
  cy.origin(
    authAppUrl,
    { args: { email: Cypress.env(`email_${who}`) as string, password: Cypress.env('password') as string } },
    ({ email, password }) => {
      cy.get('#login-email').type(email);
      cy.get('#login-password').type(password, { log: false });
      cy.get('form').contains('button', 'Sign in').click();
    },
  );
  cy.wait('@callbackPage', { timeout: NAVIGATION_TIMEOUT });
  cy.location('origin').should('eq', new URL(appUrl).origin);
}

describe("the employees' apps", () => {
  it('lets an IT employee into the IT console', () => {
    openAs(Cypress.env('opsAppUrl') as string, 'it');
    cy.contains('h1', 'System status');
    cy.contains('header button', 'Sign out').should('be.visible');
    cy.checkPage('ops-home');
  });

  it('tells a finance employee the IT console is not for their account', () => {
    openAs(Cypress.env('opsAppUrl') as string, 'finance');
    cy.location('pathname').should('eq', '/forbidden');
    cy.contains('The IT console is for employees of IT.');
    cy.checkPage('ops-forbidden');
  });

  it('lets an operations employee into the backoffice', () => {
    openAs(Cypress.env('backofficeAppUrl') as string, 'operations');
    cy.contains('h1', 'Backoffice');
    cy.checkPage('backoffice-home');
  });
});
