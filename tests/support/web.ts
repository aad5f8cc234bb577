// Helpers of the browser specs (e2e/): accessibility with axe-core and a
// screenshot of each page, kept as an artifact under .run/cypress/screenshots.
import 'cypress-axe';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Cypress {
    interface Chainable {
      /**
       * Checks the page now shown with axe-core (no serious or critical
       * violation; each one found is logged with its nodes), then keeps a
       * full-page screenshot named `name`.
       */
      checkPage(name: string): Chainable<void>;
    }
  }
}

Cypress.Commands.add('checkPage', (name: string) => {
  cy.injectAxe();
  cy.checkA11y(
    undefined,
    { includedImpacts: ['serious', 'critical'] },
    (violations) => {
      for (const v of violations) {
        Cypress.log({
          name: 'a11y',
          message: `${v.impact}: ${v.id} — ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`,
        });
      }
    },
  );
  cy.screenshot(name, { capture: 'fullPage' });
});

export {};
