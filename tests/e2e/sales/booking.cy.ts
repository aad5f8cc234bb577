// The sales site's account side in a real browser against the running
// system: a traveler books, sees the new free seats, finds the booking in
// "My bookings", cancels it with the refund shown first, and gets the
// emails; a double click books once; a full launch shows its 409 message;
// the profile saves. cy.signIn comes from the sign-on work.
import { eventually, tokenOf, uniqueEmail } from '../../support/commands';
import { newLaunch, passenger } from '../../support/fixtures';

interface Mail {
  subject: string;
  to: { address: string }[];
}

const sales = (path: string): string => `${Cypress.env('salesUrl')}${path}`;
const travelerEmail = (): string => (Cypress.env('email_traveler') as string) || 'traveler@astro.example';
const password = (): string => (Cypress.env('password') as string) || 'ad-astra-per-aspera-2026';

/** Waits until the query API sells the launch, so the page finds it. */
const onSale = (launchId: string) =>
  eventually(
    () => cy.api('queryApi', 'GET', `/v1/launches/${launchId}`),
    (r) => r.status === 200 && (r.body as { bookable: boolean }).bookable,
    `launch ${launchId} on sale`,
  );

/** Waits until `address` has received a mail whose subject starts with `prefix`. */
const mailTo = (address: string, prefix: string) =>
  eventually(
    () => cy.request({ url: `${Cypress.env('maildev')}/api/email`, log: false }),
    (r) => (r.body as Mail[]).some((m) => m.to.some((t) => t.address === address) && m.subject.startsWith(prefix)),
    `"${prefix}…" to ${address}`,
    30000,
  );

/** Fills passenger row `index` (adding the row first when it is not the first). */
function fillPassenger(index: number, name: string, birthDate: string, email = ''): void {
  if (index > 0) {
    cy.contains('button', 'Add a passenger').click();
  }
  cy.get(`#passenger-${index}-name`).type(name);
  cy.get(`#passenger-${index}-birth-date`).type(birthDate);
  if (email) {
    cy.get(`#passenger-${index}-email`).type(email);
  }
}

describe('sales site: booking, my bookings and the profile', () => {
  beforeEach(() => {
    cy.signIn(travelerEmail(), password());
  });

  it('books 2 seats, shows the new free seats, lists the booking and cancels it with the refund shown first', () => {
    const address = uniqueEmail('passenger');
    newLaunch({ capacity: 10, price: 25_000_000, daysAhead: 400 }).then(({ launch_id }) => {
      onSale(launch_id);
      cy.visit(sales(`/launches/${launch_id}/book`));
      cy.get('[data-testid="free-seats"]').should('contain.text', '10 of 10');
      cy.checkPage('sales-book');

      fillPassenger(0, 'Ada Lovelace', '1985-12-10', address);
      fillPassenger(1, 'Mary Somerville', '1980-02-26');
      cy.get('[data-testid="total"]').should('contain.text', '2 seats: EUR 500,000.00');
      cy.contains('button', 'Review booking').click();
      cy.checkPage('sales-book-confirm');
      cy.contains('button', 'Book 2 seats for EUR 500,000.00').click();

      cy.get('[data-testid="booked"]').should('contain.text', 'EUR 500,000.00');
      cy.get('[data-testid="booking-id"]').invoke('text').should('match', /^[0-9a-f-]{36}$/);
      cy.get('[data-testid="new-free-seats"]').should('have.text', '8');
      cy.checkPage('sales-booked');
      mailTo(address, 'Booking confirmed: ');

      cy.contains('a', 'See my bookings').click();
      cy.location('pathname').should('equal', '/bookings');
      cy.get('[data-booking]')
        .filter(':contains("Ada Lovelace, Mary Somerville")')
        .first()
        .as('booking')
        .should('contain.text', 'EUR 500,000.00');
      cy.checkPage('sales-bookings');

      cy.get('@booking').contains('button', 'Cancel booking').click();
      cy.get('[role="dialog"]').should('contain.text', 'you get EUR 450,000.00 back (90 %');
      cy.checkPage('sales-cancel-dialog');
      cy.get('[role="dialog"]').contains('button', 'Yes, cancel the booking').click();
      cy.get('[data-testid="cancelled"]').should('contain.text', 'refunded EUR 450,000.00 (90 %)');
      cy.get('@booking').should('contain.text', 'Cancelled');
      mailTo(address, 'Booking cancelled: ');
    });
  });

  it('books once when Book is double-clicked', () => {
    newLaunch({ capacity: 10 }).then(({ launch_id }) => {
      onSale(launch_id);
      cy.visit(sales(`/launches/${launch_id}/book`));
      fillPassenger(0, 'Sally Ride', '1981-05-26');
      cy.contains('button', 'Review booking').click();
      cy.contains('button', 'Book 1 seat for').dblclick();
      cy.get('[data-testid="booked"]').should('be.visible');
      cy.get('[data-testid="new-free-seats"]').should('have.text', '9');
      eventually(
        () => cy.api('queryApi', 'GET', '/v1/me/bookings', { token: tokenOf('traveler'), qs: { launch_id } }),
        (r) => r.status === 200 && (r.body as { total: number }).total >= 1,
        `the booking on ${launch_id}`,
      ).then((r) => expect((r.body as { total: number }).total).to.equal(1));
    });
  });

  it('shows the 409 message when the last seat goes to someone else first', () => {
    newLaunch({ capacity: 1 }).then(({ launch_id }) => {
      onSale(launch_id);
      cy.visit(sales(`/launches/${launch_id}/book`));
      cy.get('[data-testid="free-seats"]').should('contain.text', '1 of 1');
      fillPassenger(0, 'Valentina Tereshkova', '1987-03-06');
      cy.contains('button', 'Review booking').click();
      cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/bookings`, {
        token: tokenOf('agency'),
        body: { passengers: [passenger('Yuri Gagarin')] },
      })
        .its('status')
        .should('equal', 201);
      cy.contains('button', 'Book 1 seat for').click();
      cy.get('[data-testid="conflict"]').should('have.attr', 'role', 'alert').and('contain.text', 'fully booked');
      cy.checkPage('sales-book-409');
    });
  });

  it('saves the profile', () => {
    cy.visit(sales('/profile'));
    cy.get('#profile-fullName').should('not.have.value', '');
    cy.checkPage('sales-profile');
    cy.contains('button', 'Save profile').click();
    cy.get('[data-testid="saved"]').should('contain.text', 'Your profile is saved.');
  });
});
