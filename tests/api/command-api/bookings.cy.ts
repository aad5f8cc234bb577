// Booking and cancelling seats, and the caller's profile, from outside.
import { expectProblem, fieldsOf, tokenOf } from '../../support/commands';
import { newLaunch, passenger } from '../../support/fixtures';

const book = (launchId: string, role: 'traveler' | 'agency', passengers: object[], key?: string) =>
  cy.api('commandApi', 'POST', `/v1/launches/${launchId}/bookings`, {
    token: tokenOf(role),
    body: { passengers },
    headers: key ? { 'Idempotency-Key': key } : {},
  });

describe('command API: POST /v1/launches/{launch_id}/bookings', () => {
  it('books seats (201); the same Idempotency-Key returns the same booking', () => {
    newLaunch().then(({ launch_id }) => {
      const key = `cypress-${Date.now()}`;
      book(launch_id, 'traveler', [passenger(), passenger('Charles Babbage')], key).then((first) => {
        expect(first.status).to.equal(201);
        cy.matchesSpec('commandApi', 'POST', '/v1/launches/{launch_id}/bookings', first);
        expect(first.body).to.include({ launch_id, seats: 2 });
        book(launch_id, 'traveler', [passenger(), passenger('Charles Babbage')], key).then((retried) => {
          expect(retried.status).to.equal(201);
          expect((retried.body as { booking_id: string }).booking_id).to.equal((first.body as { booking_id: string }).booking_id);
        });
        // The same key with another request is refused, naming the header.
        book(launch_id, 'traveler', [passenger()], key).then((other) => {
          expectProblem(other, 422, 'idempotency-key-reused');
          cy.matchesSpec('commandApi', 'POST', '/v1/launches/{launch_id}/bookings', other);
          expect(fieldsOf(other)).to.deep.equal(['Idempotency-Key']);
        });
      });
    });
  });

  it('lets an agency book for its clients (201)', () => {
    newLaunch().then(({ launch_id }) => {
      book(launch_id, 'agency', [passenger('Grace Hopper')]).its('status').should('equal', 201);
    });
  });

  it('refuses more seats than are free (409) and a launch not on sale (409)', () => {
    newLaunch({ capacity: 2 }).then(({ launch_id }) => {
      book(launch_id, 'traveler', [passenger(), passenger('B'), passenger('C')]).then((response) => {
        expect(response.status).to.equal(409);
        cy.matchesSpec('commandApi', 'POST', '/v1/launches/{launch_id}/bookings', response);
      });
    });
    newLaunch({ confirm: false }).then(({ launch_id }) => {
      cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/abort`, { token: tokenOf('operations'), body: { reason: 'test' } });
      book(launch_id, 'traveler', [passenger()]).its('status').should('equal', 409);
    });
  });

  it('names a passenger outside 18 to 70 at departure and a blank name (422)', () => {
    newLaunch().then(({ launch_id }) => {
      book(launch_id, 'traveler', [{ name: ' ', birth_date: '1985-12-10' }]).then((response) => {
        expectProblem(response, 422, 'validation-failed');
        cy.matchesSpec('commandApi', 'POST', '/v1/launches/{launch_id}/bookings', response);
        expect(fieldsOf(response)).to.deep.equal(['passengers[0].name']);
      });
      book(launch_id, 'traveler', [passenger(), { name: 'Too Young', birth_date: '2015-01-01' }]).then((response) => {
        expectProblem(response, 422, 'validation-failed');
        expect(fieldsOf(response)).to.deep.equal(['passengers[1].birth_date']);
      });
      book(launch_id, 'traveler', []).then((response) => expectProblem(response, 422, 'validation-failed'));
    });
  });

  it('refuses employees (403), anonymous callers (401) and unknown launches (404)', () => {
    newLaunch().then(({ launch_id }) => {
      for (const role of ['operations', 'finance', 'it'] as const) {
        cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/bookings`, {
          token: tokenOf(role),
          body: { passengers: [passenger()] },
        }).then((response) => expectProblem(response, 403, 'forbidden'));
      }
      cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/bookings`, { body: { passengers: [passenger()] } }).then((response) =>
        expectProblem(response, 401, 'unauthorized'),
      );
    });
    book('01934d2e-0000-7000-8000-000000000000', 'traveler', [passenger()]).its('status').should('equal', 404);
  });
});

describe('command API: POST /v1/launches/{launch_id}/bookings/{booking_id}/cancel', () => {
  it("cancels the caller's booking with the refund of the policy (200), once (then 409)", () => {
    newLaunch({ daysAhead: 400 }).then(({ launch_id }) => {
      book(launch_id, 'traveler', [passenger()]).then((booked) => {
        const { booking_id } = booked.body as { booking_id: string };
        const cancel = () =>
          cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/bookings/${booking_id}/cancel`, { token: tokenOf('traveler') });
        cancel().then((response) => {
          expect(response.status).to.equal(200);
          cy.matchesSpec('commandApi', 'POST', '/v1/launches/{launch_id}/bookings/{booking_id}/cancel', response);
          // At least 365 days before departure: 90 % back.
          expect(response.body).to.include({ booking_id, seats_released: 1, refund_percent: 90, refund_cents: 22_500_000 });
        });
        cancel().then((response) => {
          expect(response.status).to.equal(409);
          cy.matchesSpec('commandApi', 'POST', '/v1/launches/{launch_id}/bookings/{booking_id}/cancel', response);
        });
      });
    });
  });

  it("answers another holder's booking as an unknown one (404)", () => {
    newLaunch().then(({ launch_id }) => {
      book(launch_id, 'traveler', [passenger()]).then((booked) => {
        const { booking_id } = booked.body as { booking_id: string };
        cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/bookings/${booking_id}/cancel`, { token: tokenOf('agency') }).then(
          (others) => {
            expect(others.status).to.equal(404);
            cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/bookings/01934d2e-0000-7000-8000-000000000000/cancel`, {
              token: tokenOf('agency'),
            }).then((unknown) => {
              expect(unknown.status).to.equal(404);
              expect((unknown.body as { title: string }).title).to.equal((others.body as { title: string }).title);
            });
          },
        );
        cy.api('commandApi', 'POST', `/v1/launches/${launch_id}/bookings/${booking_id}/cancel`, { token: tokenOf('finance') }).then(
          (response) => expectProblem(response, 403, 'forbidden'),
        );
      });
    });
  });
});

describe('command API: PUT /v1/profiles/me', () => {
  it("updates the caller's own profile (200)", () => {
    cy.api('commandApi', 'PUT', '/v1/profiles/me', {
      token: tokenOf('traveler'),
      body: { profile: { kind: 'traveler', full_name: 'Ada King', birth_date: '1985-12-10' } },
    }).then((response) => {
      expect(response.status).to.equal(200);
      cy.matchesSpec('commandApi', 'PUT', '/v1/profiles/me', response);
    });
  });

  it('refuses a profile of another kind than the caller (422) and invalid fields (422)', () => {
    cy.api('commandApi', 'PUT', '/v1/profiles/me', {
      token: tokenOf('agency'),
      body: { profile: { kind: 'traveler', full_name: 'Not an agency', birth_date: '1985-12-10' } },
    }).then((response) => expectProblem(response, 422, 'validation-failed'));
    cy.api('commandApi', 'PUT', '/v1/profiles/me', {
      token: tokenOf('traveler'),
      body: { profile: { kind: 'traveler', full_name: '', birth_date: '2020-01-01' } },
    }).then((response) => {
      expectProblem(response, 422, 'validation-failed');
      expect(fieldsOf(response)).to.include.members(['profile.full_name', 'profile.birth_date']);
    });
  });

  it('refuses an anonymous caller (401)', () => {
    cy.api('commandApi', 'PUT', '/v1/profiles/me', {
      body: { profile: { kind: 'traveler', full_name: 'Ada', birth_date: '1985-12-10' } },
    }).then((response) => expectProblem(response, 401, 'unauthorized'));
  });
});
