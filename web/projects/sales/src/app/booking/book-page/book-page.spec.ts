import { HttpRequest, provideHttpClient } from '@angular/common/http';
import { HttpTestingController, TestRequest, provideHttpClientTesting } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { Session, SessionUser, provideAppConfig } from '@astro/shared';
import { BookingReply } from '@astro/shared/api/command-api/models/booking-reply';
import { Launch } from '@astro/shared/api/query-api/models/launch';

import { VIEWER_TIME_ZONE } from '../../viewer-time-zone';
import { BookPage } from './book-page';

const LAUNCH_ID = '0190f0e2-0000-7000-8000-000000000001';
const QUERY = 'http://query.test';
const COMMAND = 'http://command.test';

const CONFIG = {
  commandApiUrl: COMMAND,
  queryApiUrl: QUERY,
  authApiUrl: 'http://auth.test',
  authAppUrl: 'http://auth-app.test',
  salesUrl: 'http://sales.test',
  clientId: 'sales',
};

const launch: Launch = {
  id: LAUNCH_ID,
  bookable: true,
  capacity: 10,
  free_seats: 10,
  seats_booked: 0,
  departure_at: '2030-06-15T10:00:00Z',
  destination: 'moon',
  price_per_seat_cents: 25_000_000,
  rocket_id: 'r1',
  rocket_name: 'Selene',
  spaceport: 'Kourou',
  status: 'confirmed',
  version: 3,
};

const reply: BookingReply = {
  booking_id: 'b-42',
  launch_id: LAUNCH_ID,
  seats: 2,
  total_cents: 50_000_000,
  unit_price_cents: 25_000_000,
  version: 4,
};

describe('the booking page', () => {
  let fixture: ComponentFixture<BookPage>;
  let http: HttpTestingController;

  async function open(role: SessionUser['role'] = 'traveler'): Promise<void> {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([]),
        provideAppConfig(CONFIG),
        { provide: VIEWER_TIME_ZONE, useValue: 'Europe/Paris' },
        { provide: Session, useValue: { user: signal({ userId: 'u1', role }), signedIn: signal(true) } },
      ],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(BookPage);
    fixture.componentRef.setInput('id', LAUNCH_ID);
    fixture.detectChanges();
    if (role !== 'employee') {
      http.expectOne(`${QUERY}/v1/launches/${LAUNCH_ID}`).flush(launch);
    }
    await fixture.whenStable();
  }

  afterEach(() => http.verify());

  const page = (): HTMLElement => fixture.nativeElement as HTMLElement;
  const input = (id: string) => page().querySelector<HTMLInputElement>(`#${id}`)!;
  const text = () => page().textContent ?? '';

  function type(id: string, value: string): void {
    const field = input(id);
    field.value = value;
    field.dispatchEvent(new Event('input'));
  }

  function button(label: RegExp): HTMLButtonElement {
    const found = [...page().querySelectorAll('button')].find((b) => label.test(b.textContent ?? ''));
    if (!found) {
      throw new Error(`no button ${label}`);
    }
    return found;
  }

  async function click(label: RegExp): Promise<void> {
    button(label).click();
    await fixture.whenStable();
  }

  async function fillTwoPassengers(): Promise<void> {
    type('passenger-0-name', 'Ada Lovelace');
    type('passenger-0-birth-date', '1985-12-10');
    await click(/Add a passenger/);
    type('passenger-1-name', 'Mary Somerville');
    type('passenger-1-birth-date', '1980-02-26');
    type('passenger-1-email', 'mary@example.org');
    await fixture.whenStable();
  }

  /** The request `matches` selects, once the page's pending promises have sent it (microtasks only, no timers). */
  async function request(what: string, matches: (r: HttpRequest<unknown>) => boolean): Promise<TestRequest> {
    for (let turn = 0; turn < 100; turn++) {
      const found = http.match(matches);
      if (found.length === 1) {
        return found[0];
      }
      expect(found.length).toBe(0);
      await Promise.resolve();
    }
    throw new Error(`no request ${what}`);
  }

  const bookingRequest = () =>
    request('to book', (r) => r.method === 'POST' && r.url === `${COMMAND}/v1/launches/${LAUNCH_ID}/bookings`);
  const launchRequest = (query = '') =>
    request(`for the launch${query}`, (r) => r.method === 'GET' && r.urlWithParams === `${QUERY}/v1/launches/${LAUNCH_ID}${query}`);

  /** Clicks without waiting for stability: the page stays busy until its request is answered. */
  function press(label: RegExp): void {
    button(label).click();
    fixture.detectChanges();
  }

  it('shows the launch and one labelled passenger row to start with', async () => {
    await open();
    expect(text()).toContain('Selene to The Moon');
    expect(text()).toContain('EUR 250,000.00');
    for (const id of ['passenger-0-name', 'passenger-0-birth-date', 'passenger-0-email']) {
      expect(page().querySelector(`label[for="${id}"]`)).not.toBeNull();
    }
    expect(page().querySelector('#passenger-1-name')).toBeNull();
    const departure = page().querySelector('[data-testid="departure"]')?.textContent?.replace(/\s+/g, ' ').trim();
    expect(departure).toBe('15 Jun 2030, 07:00 GMT-3 (12:00 in your time zone)');
  });

  it('updates the total as passengers are added', async () => {
    await open();
    await fillTwoPassengers();
    expect(page().querySelector('[data-testid="total"]')?.textContent).toContain('2 seats: EUR 500,000.00');
  });

  it('stops adding passengers at six', async () => {
    await open();
    for (let i = 0; i < 5; i++) {
      await click(/Add a passenger/);
    }
    expect(page().querySelectorAll('fieldset')).toHaveLength(6);
    expect(button(/Add a passenger/).disabled).toBe(true);
  });

  it('shows each invalid field’s error next to it, linked by aria-describedby, and sends nothing', async () => {
    await open();
    type('passenger-0-name', '   ');
    type('passenger-0-birth-date', '2012-06-16');
    await click(/Review booking/);
    const date = input('passenger-0-birth-date');
    expect(date.getAttribute('aria-invalid')).toBe('true');
    expect(page().querySelector(`#${date.getAttribute('aria-describedby')}`)?.textContent).toMatch(/would be 17/);
    expect(input('passenger-0-name').getAttribute('aria-describedby')).toBe('passenger-0-name-error');
    expect(page().querySelector('[role="alert"]')?.textContent).toMatch(/correct the 2 fields/);
    http.expectNone(() => true);
  });

  it('asks to confirm with the seats and the total before booking', async () => {
    await open();
    await fillTwoPassengers();
    await click(/Review booking/);
    expect(button(/Book 2 seats for EUR 500,000.00/)).toBeTruthy();
    http.expectNone((r) => r.method === 'POST');
  });

  it('books with an Idempotency-Key and shows the booking and the launch’s new free seats', async () => {
    await open();
    await fillTwoPassengers();
    await click(/Review booking/);
    press(/Book 2 seats/);
    const booking = await bookingRequest();
    expect(booking.request.headers.get('Idempotency-Key')).toMatch(/^[0-9a-f-]{36}$/);
    expect(booking.request.body).toEqual({
      passengers: [
        { name: 'Ada Lovelace', birth_date: '1985-12-10' },
        { name: 'Mary Somerville', birth_date: '1980-02-26', email: 'mary@example.org' },
      ],
    });
    booking.flush(reply, { status: 201, statusText: 'Created' });
    // Read-your-writes: the launch as of the version the booking made.
    (await launchRequest('?min_version=4')).flush({ ...launch, free_seats: 8, seats_booked: 2, version: 4 });
    await fixture.whenStable();
    expect(page().querySelector('[data-testid="booking-id"]')?.textContent).toBe('b-42');
    expect(text()).toContain('EUR 500,000.00');
    expect(page().querySelector('[data-testid="new-free-seats"]')?.textContent).toBe('8');
  });

  it('disables the button while sending, so a double click sends once', async () => {
    await open();
    await fillTwoPassengers();
    await click(/Review booking/);
    const book = button(/Book 2 seats/);
    book.click();
    book.click();
    fixture.detectChanges();
    expect(button(/Booking…/).disabled).toBe(true);
    const posts = http.match((r) => r.method === 'POST');
    expect(posts).toHaveLength(1);
    posts[0].flush(reply, { status: 201, statusText: 'Created' });
    (await launchRequest('?min_version=4')).flush(launch);
    await fixture.whenStable();
  });

  it('retries after a network error with the same key, and uses a new key once the passengers change', async () => {
    await open();
    await fillTwoPassengers();
    await click(/Review booking/);
    press(/Book 2 seats/);
    const first = (await bookingRequest());
    const key = first.request.headers.get('Idempotency-Key');
    first.error(new ProgressEvent('error'));
    await fixture.whenStable();
    expect(page().querySelector('[data-testid="problem"]')?.textContent).toMatch(/will not be done twice/);

    press(/Book 2 seats/);
    const retry = (await bookingRequest());
    expect(retry.request.headers.get('Idempotency-Key')).toBe(key);
    retry.error(new ProgressEvent('error'));
    await fixture.whenStable();

    await click(/Change passengers/);
    type('passenger-1-name', 'Mary Fairfax Somerville');
    await click(/Review booking/);
    press(/Book 2 seats/);
    const edited = (await bookingRequest());
    expect(edited.request.headers.get('Idempotency-Key')).not.toBe(key);
    edited.error(new ProgressEvent('error'));
    await fixture.whenStable();
  });

  it('shows the server’s 422 field errors next to their fields', async () => {
    await open();
    await fillTwoPassengers();
    await click(/Review booking/);
    press(/Book 2 seats/);
    (await bookingRequest()).flush(
      {
        type: '/problems/validation-failed',
        title: 'Invalid request',
        status: 422,
        detail: 'Some fields are invalid.',
        errors: [{ field: 'passengers[1].birth_date', code: 'passenger-age', message: 'passenger 1 would be 71 at departure' }],
      },
      { status: 422, statusText: 'Unprocessable Entity' },
    );
    await fixture.whenStable();
    const date = input('passenger-1-birth-date');
    expect(date.getAttribute('aria-invalid')).toBe('true');
    expect(page().querySelector(`#${date.getAttribute('aria-describedby')}`)?.textContent).toBe(
      'Passenger 1 would be 71 at departure.',
    );
  });

  it('explains a 409 with the seats that are left', async () => {
    await open();
    await fillTwoPassengers();
    await click(/Review booking/);
    press(/Book 2 seats/);
    (await bookingRequest()).flush(
      { type: '/problems/not-enough-seats', title: 'Conflict', status: 409, detail: 'only 1 seats are free, 2 requested' },
      { status: 409, statusText: 'Conflict' },
    );
    (await launchRequest()).flush({ ...launch, free_seats: 1, seats_booked: 9 });
    await fixture.whenStable();
    const alert = page().querySelector('[data-testid="conflict"]');
    expect(alert?.getAttribute('role')).toBe('alert');
    expect(alert?.textContent).toContain('only 1 seat is left');
    expect(page().querySelector('[data-testid="free-seats"]')?.textContent).toContain('1 of 10');
  });

  it('explains a 409 for a launch no longer on sale from the problem type, without reading the launch again', async () => {
    await open();
    await fillTwoPassengers();
    await click(/Review booking/);
    press(/Book 2 seats/);
    (await bookingRequest()).flush(
      { type: '/problems/wrong-launch-status', title: 'Conflict', status: 409, detail: 'cannot book a launch that is aborted' },
      { status: 409, statusText: 'Conflict' },
    );
    await fixture.whenStable();
    const alert = page().querySelector('[data-testid="conflict"]');
    expect(alert?.getAttribute('role')).toBe('alert');
    expect(alert?.textContent).toBe('Sorry, this launch is not on sale any more (cannot book a launch that is aborted).');
    http.expectNone(`${QUERY}/v1/launches/${LAUNCH_ID}`);
  });

  it('tells an employee that employees cannot book, without loading the launch or a form', async () => {
    await open('employee');
    expect(text()).toContain('Employees cannot book');
    expect(page().querySelector('form')).toBeNull();
    http.expectNone(() => true);
  });

  it('shows an alert when the launch cannot be loaded', async () => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([]),
        provideAppConfig(CONFIG),
        { provide: Session, useValue: { user: signal({ userId: 'u1', role: 'traveler' }), signedIn: signal(true) } },
      ],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(BookPage);
    fixture.componentRef.setInput('id', LAUNCH_ID);
    fixture.detectChanges();
    http.expectOne(`${QUERY}/v1/launches/${LAUNCH_ID}`).flush({ status: 404 }, { status: 404, statusText: 'Not Found' });
    await fixture.whenStable();
    expect(page().querySelector('[role="alert"]')?.textContent).toMatch(/could not load this launch/);
    expect(page().querySelector('form')).toBeNull();
  });
});
