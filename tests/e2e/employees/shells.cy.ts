// The employees' apps (the IT console and the backoffice): an employee of
// the right department signs in through the auth app and gets the app; an
// employee of another department gets "not for your account".
import { openAppAs } from '../../support/signin';

describe("the employees' apps", () => {
  it('lets an IT employee into the IT console', () => {
    openAppAs(Cypress.env('opsAppUrl') as string, 'it');
    cy.contains('h1', 'System status');
    cy.contains('header button', 'Sign out').should('be.visible');
    cy.checkPage('ops-home');
  });

  it('tells a finance employee the IT console is not for their account', () => {
    openAppAs(Cypress.env('opsAppUrl') as string, 'finance');
    cy.location('pathname').should('eq', '/forbidden');
    cy.contains('The IT console is for employees of IT.');
    cy.checkPage('ops-forbidden');
  });

  it('lets an operations employee into the backoffice', () => {
    openAppAs(Cypress.env('backofficeAppUrl') as string, 'operations');
    // Home is the department's first page.
    cy.location('pathname').should('eq', '/launches');
    cy.contains('h1', 'Launches');
    cy.checkPage('backoffice-home');
  });
});
