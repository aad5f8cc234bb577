// The backoffice end to end, in a real browser against the isolated stack:
// operations registers a rocket, schedules a launch on it (which then sells
// on the sales site), confirms and delays it; a traveler books on it through
// the API; operations aborts it and sees the booking refunded; finance opens
// the invoice and the credit note, downloads the PDF, and reads the ledger
// as it stood before and after the abort. A traveler is refused.
//
// The tests run in order and share the launch they make (each one signs in
// afresh: Cypress clears the browser's storage between tests).
import { eventually, tokenOf } from '../../support/commands';
import { passenger } from '../../support/fixtures';
import { openAppAs } from '../../support/signin';

const backoffice = () => Cypress.env('backofficeAppUrl') as string;

/** `YYYY-MM-DDTHH:mm` on the browser's wall clock, as a datetime-local input takes it. */
function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

type Doc = { number: string; kind: string };
const documentsOf = (launchId: string) =>
  cy.api('queryApi', 'GET', `/v1/invoices?launch_id=${launchId}`, { token: tokenOf('finance') });
const docs = (response: Cypress.Response<unknown>) => ((response.body as { items?: Doc[] }).items ?? []);

describe('the backoffice', () => {
  const rocketName = `Cypress BO ${Date.now().toString(36)}`;
  // A departure day of its own, so that the filtered list shows this launch first.
  const departure = new Date(Date.now() + (500 + Math.floor(Math.random() * 2000)) * 86_400_000);
  departure.setHours(10, 30, 0, 0);
  const day = departure.toISOString().slice(0, 10);
  let launchId = '';
  let beforeAbort = '';
  let afterAbort = '';
  let invoiceNumber = '';
  let creditNoteNumber = '';

  it('lets operations register a rocket, schedule a launch that sells on the sales site, delay it, and abort it with its refunds', () => {
    openAppAs(backoffice(), 'operations');
    cy.location('pathname').should('eq', '/launches');
    cy.contains('h1', 'Launches');
    cy.contains('nav a', 'Launches').should('have.attr', 'aria-current', 'page');
    cy.contains('nav a', 'Invoices').should('not.exist');
    cy.checkPage('backoffice-launches');

    // Rockets: a 422-free registration, then the new rocket in the session's list.
    cy.contains('nav a', 'Rockets').click();
    cy.contains('h1', 'Rockets');
    cy.contains('button', 'Register the rocket').click();
    cy.get('#rocket-name').should('have.attr', 'aria-invalid', 'true');
    cy.get('#rocket-name-error').should('contain', 'Enter the rocket’s name.');
    cy.get('#rocket-name').type(rocketName);
    cy.get('#rocket-capacity').type('4');
    cy.get('#rocket-range').select('The Moon');
    cy.contains('button', 'Register the rocket').click();
    cy.get('[data-testid="registered"]').should('contain', `${rocketName} is registered`);
    cy.contains('tr', rocketName).should('contain', '4');
    cy.checkPage('backoffice-rockets');

    // Schedule on it, the price typed in euros.
    cy.contains('nav a', 'Launches').click();
    cy.contains('button', 'Schedule a launch').click();
    cy.get('#schedule-rocket option:selected').should('contain', rocketName);
    cy.get('#schedule-spaceport').type('Kourou');
    cy.get('#schedule-destination').select('The Moon');
    cy.get('#schedule-departure').type(localInput(departure));
    cy.get('#schedule-price').type('1,200,000.50');
    cy.checkPage('backoffice-schedule');
    cy.contains('button', 'Schedule the launch').click();
    cy.get('[data-testid="outcome"]').should('contain', 'Launch scheduled.');

    // The list in the URL: every launch from that day (scheduled ones too).
    cy.get('#filter-from').type(day);
    cy.get('#filter-destination').select('The Moon');
    cy.contains('button', 'Show launches').click();
    cy.location('search').should('contain', `from=${day}`).and('contain', 'destination=moon');
    cy.get('tbody tr').first().as('row').should('contain', rocketName).and('contain', 'Scheduled').and('contain', 'EUR 1,200,000.50');
    cy.get('@row')
      .invoke('attr', 'data-launch-id')
      .then((id) => {
        launchId = String(id);
      });

    // Confirm, behind its confirmation.
    cy.get('@row').contains('button', 'Confirm').click();
    cy.contains('button', 'Yes, confirm').click();
    cy.get('[data-testid="outcome"]').should('contain', 'Launch confirmed.');
    cy.get('tbody tr').first().should('contain', 'Confirmed');

    // The sales site sells it: its server-rendered HTML names the rocket.
    cy.then(() =>
      eventually(
        () => cy.request({ url: `${Cypress.env('salesUrl')}/?destination=moon&from=${day}`, failOnStatusCode: false }),
        (response) => String(response.body).includes(rocketName),
        'the launch on the sales site',
      ),
    );

    // Delay by a day, with its reason; "mark launched" before departure is refused with the server's word.
    cy.get('tbody tr').first().contains('button', 'Mark launched').click();
    cy.contains('button', 'Yes, mark launched').click();
    cy.get('[data-testid="refusal"]').should('contain', 'This launch cannot be marked launched now:');
    cy.contains('button', 'No, go back').click();
    cy.get('tbody tr').first().contains('button', 'Delay').click();
    cy.get('#action-departure').clear().type(localInput(new Date(departure.getTime() + 86_400_000)));
    cy.get('#action-reason').type('Weather window');
    cy.checkPage('backoffice-delay');
    cy.contains('button', 'Yes, delay').click();
    cy.get('[data-testid="outcome"]').should('contain', 'Launch delayed.');
    cy.get('tbody tr').first().should('contain', 'Delayed').and('contain', 'Weather window');

    // A traveler books one seat on it through the API; finance's ledger has the invoice.
    cy.then(() =>
      cy
        .api('commandApi', 'POST', `/v1/launches/${launchId}/bookings`, {
          token: tokenOf('traveler'),
          body: { passengers: [passenger('Ada Lovelace')] },
        })
        .its('status')
        .should('eq', 201),
    );
    cy.then(() => eventually(() => documentsOf(launchId), (response) => docs(response).length === 1, 'the invoice'));
    cy.then(() => {
      beforeAbort = new Date().toISOString();
    });
    // The abort's event must come after the instant just taken, whatever the clocks' resolution.
    cy.wait(1100);

    cy.then(() =>
      eventually(
        () => cy.api('queryApi', 'GET', `/v1/launches/${launchId}`),
        (response) => (response.body as { seats_booked?: number }).seats_booked === 1,
        'the booking in the sales read model',
      ),
    );

    // Abort with its reason: the booking is refunded.
    cy.reload();
    cy.get('tbody tr').first().should('contain', '1 of 4').contains('button', 'Abort').click();
    cy.contains('1 booked seat');
    cy.contains('button', 'Yes, abort').click();
    cy.get('#action-reason-error').should('contain', 'Say why the launch is aborted.');
    cy.get('#action-reason').type('Engine anomaly');
    cy.checkPage('backoffice-abort');
    cy.contains('button', 'Yes, abort').click();
    cy.get('[data-testid="outcome"]').should('contain', 'Launch aborted. 1 booking refunded in full.');
    cy.get('tbody tr').first().should('contain', 'Aborted').and('contain', 'Engine anomaly');
    cy.get('tbody tr').first().find('button').should('not.exist');

    cy.then(() => eventually(() => documentsOf(launchId), (response) => docs(response).length === 2, 'the credit note'))
      .then((response) => {
        invoiceNumber = docs(response).find((doc) => doc.kind === 'invoice')!.number;
        creditNoteNumber = docs(response).find((doc) => doc.kind === 'credit_note')!.number;
      })
      .then(() => {
        afterAbort = new Date().toISOString();
      });
  });

  it('lets finance open the invoice and the credit note, download the PDF, and read the ledger before and after the abort', () => {
    expect(launchId, 'the launch of the first test').not.to.equal('');
    openAppAs(backoffice(), 'finance');
    cy.location('pathname').should('eq', '/invoices');
    cy.contains('nav a', 'Rockets').should('not.exist');
    cy.contains('h1', 'Invoices and credit notes');
    cy.checkPage('backoffice-invoices');

    // Filtered by launch through the form: the invoice and its credit note, with the page's totals.
    cy.get('#filter-launch').type(launchId);
    cy.contains('button', 'Show documents').click();
    cy.location('search').should('contain', `launch=${launchId}`);
    cy.contains('h2', '2 documents');
    cy.contains('tr', invoiceNumber).should('contain', 'Invoice').and('contain', 'EUR 1,200,000.50');
    cy.contains('tr', creditNoteNumber).should('contain', 'Credit note');
    cy.get('[data-testid="page-totals"]').should('contain', 'EUR 1,200,000.50 · EUR 1,200,000.50 · EUR 0.00');

    // The invoice: its line, its credit note, its PDF (fetched with the token, saved as a file).
    cy.contains('a', invoiceNumber).click();
    cy.contains('h1', `Invoice ${invoiceNumber}`);
    cy.contains('tr', 'Ada Lovelace').should('contain', 'EUR 1,200,000.50');
    cy.contains('a', creditNoteNumber);
    cy.checkPage('backoffice-invoice');
    cy.contains('button', 'Download the PDF').click();
    cy.readFile(`${Cypress.config('downloadsFolder')}/${invoiceNumber}.pdf`, 'binary', { timeout: 15000 }).should((pdf) =>
      expect(String(pdf).slice(0, 5)).to.equal('%PDF-'),
    );

    // The credit note: a full refund because the launch was aborted.
    cy.contains('a', creditNoteNumber).click();
    cy.contains('h1', `Credit note ${creditNoteNumber}`);
    cy.get('[data-testid="refund"]').should('contain', '100 %').and('contain', 'Launch aborted');
    cy.contains('a', invoiceNumber);
    cy.checkPage('backoffice-credit-note');

    // As of before the abort: the invoice, no credit note.
    cy.then(() => cy.visit(`${backoffice()}/invoices?launch=${launchId}&as_of=${encodeURIComponent(beforeAbort)}`));
    cy.get('[data-testid="as-of"]').should('contain', 'The ledger as it stood at');
    cy.contains('h2', '1 document');
    cy.contains('tr', invoiceNumber);
    cy.contains(creditNoteNumber).should('not.exist');
    cy.checkPage('backoffice-invoices-as-of');
    cy.contains('a', invoiceNumber).click();
    cy.location('search').should('contain', 'as_of=');
    cy.get('[data-testid="no-credit-notes"]').should('contain', 'No credit note at that time.');

    // As of after the abort: both.
    cy.then(() => cy.visit(`${backoffice()}/invoices?launch=${launchId}&as_of=${encodeURIComponent(afterAbort)}`));
    cy.contains('h2', '2 documents');
    cy.contains('tr', creditNoteNumber);

    // The picker: a time before any of it shows nothing of this launch; "now" leaves the as-of view.
    cy.get('#filter-as-of').type('2020-01-01T00:00');
    cy.contains('button', 'Show documents').click();
    cy.location('search').should((search) =>
      expect(new URLSearchParams(search).get('as_of')).to.equal(new Date('2020-01-01T00:00').toISOString()),
    );
    cy.contains('No document matches.');
    cy.contains('button', 'Show the ledger now').click();
    cy.location('search').should('not.contain', 'as_of');
    cy.contains('h2', '2 documents');
  });

  it('refuses a traveler', () => {
    openAppAs(backoffice(), 'traveler');
    cy.location('pathname').should('eq', '/forbidden');
    cy.contains('The backoffice is for employees of operations and finance.');
    cy.checkPage('backoffice-forbidden-traveler');
  });
});
