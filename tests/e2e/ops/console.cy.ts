// The IT console against the running system: IT sees every service ready,
// finds the booking confirmation of a booking this spec makes, and opens it
// with its attempts; a traveler is told the console is not for them.
import { eventually, tokenOf } from '../../support/commands';
import { newLaunch, passenger } from '../../support/fixtures';
import { openAppAs } from '../../support/signin';

const opsUrl = (): string => Cypress.env('opsAppUrl') as string;
const travelerEmail = (): string => (Cypress.env('email_traveler') as string).toLowerCase();

describe('the IT console', () => {
  it('shows IT every service ready, in words, with the consumers and projections', () => {
    openAppAs(opsUrl(), 'it');
    cy.contains('h1', 'System status');
    cy.get('[data-service]').should('have.length.at.least', 2);
    cy.get('[data-service]').each((service) => {
      cy.wrap(service).should('have.class', 'tone-ok');
      cy.wrap(service).find('[data-testid="service-status"]').invoke('text').invoke('trim').should('eq', 'ready');
    });
    cy.contains('h2', 'JetStream');
    cy.get('[data-testid="projection"]').should('have.length.at.least', 1);
    // The poll goes on: the freshness line counts up and resets.
    cy.get('[data-testid="freshness"]').should('contain.text', 'updated');
    cy.checkPage('ops-status');
  });

  it("finds the confirmation of a booking made now, by its traveler's address, opens it, and cannot re-queue a sent one", () => {
    newLaunch().then(({ launch_id }) => {
      cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/bookings`, {
        token: tokenOf('traveler'),
        body: { passengers: [passenger('Katherine Johnson')] },
      }).then((booked) => {
        expect(booked.status, JSON.stringify(booked.body)).to.equal(201);
        const booking = (booked.body as { booking_id: string }).booking_id;
        // The notifier plans it from the event: bounded wait through the API first.
        eventually(
          () =>
            cy.api('queryApi', 'GET', '/v1/ops/notifications', {
              token: tokenOf('it'),
              qs: { recipient: travelerEmail(), booking_id: booking },
            }),
          (r) => r.status === 200 && (r.body as { total: number }).total >= 1,
          `the booking confirmation of ${booking}`,
          30000,
        );

        openAppAs(opsUrl(), 'it');
        cy.contains('header a', 'Notifications').click();
        cy.contains('h1', 'Notifications');
        cy.get('[data-testid="counts"]').should('contain.text', 'Sent');
        cy.get('#filter-recipient').type(travelerEmail());
        cy.get('#filter-booking').type(booking);
        cy.contains('button', 'Show notifications').click();
        cy.location('search').should('contain', `booking=${booking}`);
        cy.get('[data-testid="notification"]').should('have.length', 1).first().as('row');
        cy.get('@row').should('contain.text', travelerEmail()).and('contain.text', 'Booking confirmed');
        cy.checkPage('ops-notifications');
        // Nothing of these filters is dead: the confirmation says so and re-queues nothing.
        cy.contains('button', 'Re-queue every dead notification matching these filters').click();
        cy.get('[data-testid="requeue-confirm"]').should('contain.text', 'No dead notification matches these filters');
        cy.get('[data-testid="requeue-confirm"]').contains('button', 'Close').click();

        cy.get('@row').find('a').click();
        cy.location('pathname').should('match', /^\/notifications\/[0-9a-f-]{36}$/);
        cy.contains('h1', 'Booking confirmed');
        cy.get('[data-testid="attempts"]').invoke('text').should('match', /^\d+ since it was planned/);
        cy.get('[data-testid="last-error"]').should('be.visible');
        cy.contains('dd', booking);
        cy.checkPage('ops-notification');
        // A sent one cannot be re-queued: the 409 is said in words.
        cy.contains('button', /^\s*Re-queue\s*$/).click();
        cy.get('[data-testid="requeue-refused"]')
          .should('have.attr', 'role', 'alert')
          .and('contain.text', 'This notification cannot be re-queued now.')
          .and('contain.text', 'is sent');
        cy.checkPage('ops-notification-409');
      });
    });
  });

  it('tells a traveler the IT console is not for their account', () => {
    openAppAs(opsUrl(), 'traveler');
    cy.location('pathname').should('eq', '/forbidden');
    cy.contains('The IT console is for employees of IT.');
    cy.checkPage('ops-forbidden-traveler');
  });
});
