// The whole story, as a customer and the back office live it: browse,
// register, log in, book (idempotently), see it, get the email, cancel,
// get the refund's credit note, IT follows the request, log out.
import { eventually, expectProblem, tokenOf, uniqueEmail } from '../support/commands';
import { newLaunch, passenger } from '../support/fixtures';

interface Session {
  token: string;
  user_id: string;
}

describe('the whole story', () => {
  it('from an anonymous visit to a refunded cancellation, seen by IT, and a logout every service honours', { tags: '@smoke' }, () => {
    const email = uniqueEmail('story');
    const password = 'a long and private passphrase';
    const correlation = `cypress-story-${Date.now()}`;
    newLaunch({ capacity: 4, daysAhead: 400 }).then(({ launch_id }) => {
      // An anonymous visitor finds the launch.
      eventually(
        () => cy.api('queryApi', 'GET', '/v1/launches', { qs: { destination: 'moon', page_size: '100', sort: '-departure_at' } }),
        (r) => JSON.stringify(r.body).includes(launch_id),
        'the new launch on the sales site',
      );
      // Registers and logs in.
      cy.api('auth', 'POST', '/v1/auth/register', {
        body: { email, password, profile: { kind: 'traveler', full_name: 'Valentina Tereshkova', birth_date: '1980-03-06' } },
      })
        .its('status')
        .should('equal', 201);
      cy.api('auth', 'POST', '/v1/auth/login', { body: { email, password } }).then((login) => {
        expect(login.status).to.equal(200);
        const session = login.body as Session;
        // Books with an Idempotency-Key; the retried request is the same booking.
        const book = () =>
          cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/bookings`, {
            token: session.token,
            body: { passengers: [passenger('Valentina Tereshkova')] },
            headers: { 'Idempotency-Key': correlation, 'X-Correlation-Id': correlation },
          });
        book().then((first) => {
          expect(first.status).to.equal(201);
          const booking = first.body as { booking_id: string; version: number; total_cents: number };
          book().its('body.booking_id').should('equal', booking.booking_id);
          // Reads its own write.
          cy.api('queryApi', 'GET', `/v1/launches/${launch_id}`, {
            headers: { 'Astro-Min-Version': `${launch_id}:${booking.version}` },
          }).then((launch) => {
            expect(launch.status).to.equal(200);
            expect((launch.body as { free_seats: number }).free_seats).to.equal(3);
          });
          eventually(
            () => cy.api('queryApi', 'GET', '/v1/me/bookings', { token: session.token }),
            (r) => JSON.stringify(r.body).includes(booking.booking_id),
            'the booking in my bookings',
          );
          // The confirmation email arrives.
          eventually(
            () => cy.request({ url: `${Cypress.env('maildev')}/api/email`, log: false }),
            (r) => (r.body as { to: { address: string }[] }[]).some((m) => m.to.some((t) => t.address === email)),
            'the booking confirmation email',
          );
          // Cancels: 90 % back at least 365 days before departure.
          cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/bookings/${booking.booking_id}/cancel`, {
            token: session.token,
            headers: { 'X-Correlation-Id': correlation },
          }).then((cancelled) => {
            expect(cancelled.status).to.equal(200);
            expect(cancelled.body).to.include({ refund_percent: 90, refund_cents: (booking.total_cents * 90) / 100 });
          });
          // An invoice and a credit note, and the credit note's PDF.
          eventually(
            () => cy.api('queryApi', 'GET', '/v1/invoices', { token: session.token, qs: { launch_id } }),
            (r) => {
              const items = (r.body as { items?: { kind: string }[] }).items ?? [];
              return items.some((d) => d.kind === 'invoice') && items.some((d) => d.kind === 'credit_note');
            },
            'the invoice and the credit note',
          ).then((documents) => {
            const items = (documents.body as { items: { kind: string; number: string }[] }).items;
            const credit = items.find((d) => d.kind === 'credit_note');
            cy.request({
              url: `${Cypress.env('queryApi')}/v1/invoices/${credit?.number}.pdf`,
              headers: { Authorization: `Bearer ${session.token}` },
              encoding: 'binary',
              log: false,
            }).then((pdf) => {
              expect(pdf.headers['content-type']).to.equal('application/pdf');
            });
          });
          // IT sees the notification, the request's log lines by correlation id, and the launch's events.
          eventually(
            () => cy.api('queryApi', 'GET', '/v1/ops/notifications', { token: tokenOf('it'), qs: { recipient: email } }),
            (r) => ((r.body as { items?: unknown[] }).items ?? []).length > 0,
            'the notification in the IT console',
          );
          eventually(
            () => cy.api('queryApi', 'GET', '/v1/ops/logs', { token: tokenOf('it'), qs: { correlation_id: correlation } }),
            (r) => ((r.body as { items?: unknown[] }).items ?? []).length > 0,
            "the booking request's log lines",
          );
          cy.api('queryApi', 'GET', '/v1/ops/events', { token: tokenOf('it'), qs: { aggregate_id: launch_id } }).then((events) => {
            expect(events.status).to.equal(200);
            const types = ((events.body as { items: { event_type: string }[] }).items ?? []).map((e) => e.event_type);
            expect(types).to.include.members(['LaunchScheduled', 'SeatsBooked', 'BookingCancelled']);
          });
          // Logs out: every service refuses the token.
          cy.api('auth', 'POST', '/v1/auth/logout', { token: session.token }).its('status').should('equal', 204);
          for (const [service, path] of [
            ['auth', '/v1/auth/me'],
            ['queryApi', '/v1/me/bookings'],
          ] as const) {
            eventually(
              () => cy.api(service, 'GET', path, { token: session.token }),
              (r) => r.status === 401,
              `${service} refusing the logged-out token`,
            ).then((r) => expectProblem(r, 401, 'unauthorized'));
          }
        });
      });
    });
  });
});

describe('concurrency', () => {
  it('30 one-seat bookings at once on a 10-seat launch: exactly 10 × 201 and 20 × 409, and the sales site reaches 0 free seats', () => {
    newLaunch({ capacity: 10 }).then(({ launch_id }) => {
      const requests = Array.from({ length: 30 }, (_, i) => ({
        method: 'POST',
        url: `${Cypress.env('commandApi')}/v1/launches/${launch_id}/bookings`,
        headers: { Authorization: `Bearer ${tokenOf(i % 2 ? 'agency' : 'traveler')}` },
        body: { passengers: [passenger(`Passenger ${i}`)] },
      }));
      cy.task<{ status: number }[]>('concurrently', requests, { log: false }).then((answers) => {
        const count = (status: number) => answers.filter((a) => a.status === status).length;
        expect({ created: count(201), conflicts: count(409) }).to.deep.equal({ created: 10, conflicts: 20 });
      });
      eventually(
        () => cy.api('queryApi', 'GET', `/v1/launches/${launch_id}`),
        (r) => (r.body as { free_seats?: number }).free_seats === 0,
        'the sales site showing 0 free seats',
      );
    });
  });
});
