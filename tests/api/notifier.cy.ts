// The notifier, from outside: its probes, and the emails it sends through
// the SMTP capture server (maildev's HTTP API) for a booking, a delay and
// an abort.
import { eventually, tokenOf, uniqueEmail } from '../support/commands';
import { departureIn, newLaunch } from '../support/fixtures';

interface Mail {
  subject: string;
  to: { address: string }[];
  text: string;
}

/** Waits until `address` has received a mail whose subject starts with `prefix`. */
const mailTo = (address: string, prefix: string) =>
  eventually(
    () => cy.request({ url: `${Cypress.env('maildev')}/api/email`, log: false }),
    (r) => (r.body as Mail[]).some((m) => m.to.some((t) => t.address === address) && m.subject.startsWith(prefix)),
    `"${prefix}…" to ${address}`,
  );

describe('notifier: probes', () => {
  for (const path of ['/health', '/ready', '/metrics']) {
    it(`GET ${path} answers 200 as documented`, () => {
      cy.api('notifier', 'GET', path).then((response) => {
        expect(response.status).to.equal(200);
        cy.matchesSpec('notifier', 'GET', path, response);
      });
    });
  }

  it('answers a method it does not serve with 405 and an unknown path with 404', () => {
    cy.api('notifier', 'POST', '/ready').then((response) => {
      expect(response.status).to.equal(405);
      expect(response.headers.allow).to.equal('GET');
    });
    cy.api('notifier', 'GET', '/nothing').its('status').should('equal', 404);
  });
});

describe('notifier: emails', () => {
  it('emails a passenger when booked, when the launch is delayed and when it is aborted', () => {
    const address = uniqueEmail('passenger');
    newLaunch().then(({ launch_id }) => {
      cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/bookings`, {
        token: tokenOf('agency'),
        body: { passengers: [{ name: 'Sally Ride', birth_date: '1981-05-26', email: address }] },
      })
        .its('status')
        .should('equal', 201);
      mailTo(address, 'Booking confirmed: ');
      cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/delay`, {
        token: tokenOf('operations'),
        body: { new_departure_at: departureIn(100), reason: 'range safety' },
      })
        .its('status')
        .should('equal', 200);
      mailTo(address, 'New departure for ');
      cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/abort`, {
        token: tokenOf('operations'),
        body: { reason: 'engine anomaly' },
      })
        .its('status')
        .should('equal', 200);
      mailTo(address, 'Launch aborted: ');
    });
  });
});
