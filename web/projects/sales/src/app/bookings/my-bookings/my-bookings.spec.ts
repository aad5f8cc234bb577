import { HttpTestingController, TestRequest } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { SessionUser } from '@astro/shared';
import { Booking } from '@astro/shared/api/query-api/models/booking';
import { PageBooking } from '@astro/shared/api/query-api/models/page-booking';

import { TEST_API, aBooking, testProviders } from '../../account/testing';
import { MyBookings } from './my-bookings';

const page = (items: Booking[], total = items.length): PageBooking => ({ items, page: 1, page_size: 10, total });

describe('my bookings', () => {
  let fixture: ComponentFixture<MyBookings>;
  let http: HttpTestingController;

  const list = (): TestRequest => http.expectOne((r) => r.url.startsWith(`${TEST_API.query}/v1/me/bookings`));
  const root = (): HTMLElement => fixture.nativeElement as HTMLElement;
  const text = () => root().textContent ?? '';
  const button = (label: RegExp) =>
    [...root().querySelectorAll('button')].find((b) => label.test(b.textContent ?? '')) as HTMLButtonElement;

  async function open(items: Booking[], role: SessionUser['role'] = 'traveler', total = items.length): Promise<void> {
    TestBed.configureTestingModule({ providers: testProviders(role) });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(MyBookings);
    fixture.detectChanges();
    list().flush(page(items, total));
    await fixture.whenStable();
  }

  afterEach(() => http.verify());

  it('lists each booking with its launch, passengers, seats and amount', async () => {
    await open([aBooking(120)]);
    expect(text()).toContain('Selene to The Moon');
    expect(text()).toContain('Kourou');
    expect(text()).toContain('Ada Lovelace, Mary Somerville');
    expect(text()).toContain('2 seats');
    expect(text()).toContain('EUR 500,000.00');
  });

  it('shows the refund of a cancelled booking and offers no cancellation', async () => {
    await open([aBooking(120, { status: 'cancelled', refund_cents: 35_000_000, refund_percent: 70 })]);
    expect(root().querySelector('[data-testid="refund"]')?.textContent).toContain('EUR 350,000.00 (70 %)');
    expect(button(/Cancel booking/)).toBeUndefined();
  });

  it('shows the departure at the spaceport and for the viewer, and the statuses in words', async () => {
    const booking = aBooking(120);
    await open([{ ...booking, launch: { ...booking.launch!, departure_at: '2030-06-15T10:00:00Z' } }]);
    expect(text()).toContain('15 Jun 2030, 07:00 GMT-3 (Kourou) · 12:00 in your time zone');
    expect(text()).toMatch(/Launch status\s*Confirmed/);
    expect(root().querySelector('h2 .badge')?.textContent?.trim()).toBe('Active');
  });

  it('shows an agency the client a booking was made for', async () => {
    await open([aBooking(120, { holder_kind: 'agency' })], 'agency');
    expect(text()).toMatch(/Client\s*Ada Lovelace/);
  });

  it('asks the query API again for the chosen status, from the first page', async () => {
    await open([aBooking(120)]);
    const select = root().querySelector<HTMLSelectElement>('#status-filter')!;
    select.value = 'cancelled';
    select.dispatchEvent(new Event('change'));
    fixture.detectChanges();
    const request = list();
    expect(request.request.urlWithParams).toContain('status=cancelled');
    expect(request.request.urlWithParams).toContain('page=1');
    request.flush(page([]));
    await fixture.whenStable();
    expect(text()).toContain('No bookings here yet');
  });

  it('pages through many bookings', async () => {
    await open([aBooking(120)], 'traveler', 25);
    expect(text()).toContain('Page 1 of 3');
    button(/Next/).click();
    fixture.detectChanges();
    const request = list();
    expect(request.request.urlWithParams).toContain('page=2');
    request.flush({ ...page([aBooking(120)], 25), page: 2 });
    await fixture.whenStable();
    expect(text()).toContain('Page 2 of 3');
  });

  it('shows the refund before confirming a cancellation, then the refund paid and the updated list', async () => {
    await open([aBooking(400)]);
    button(/Cancel booking/).click();
    await fixture.whenStable();
    expect(root().querySelector('[role="dialog"]')?.textContent).toContain('EUR 450,000.00 back (90 %');
    http.expectNone((r) => r.method === 'POST');

    button(/Yes, cancel/).click();
    fixture.detectChanges();
    http
      .expectOne(`${TEST_API.command}/v1/launches/l-1/bookings/b-1/cancel`)
      .flush({ booking_id: 'b-1', launch_id: 'l-1', refund_cents: 45_000_000, refund_percent: 90, seats_released: 2, version: 6 });
    // The dialog's answer reaches the page a few promise turns later; its reload asks for the new version.
    let reload: TestRequest[] = [];
    for (let turn = 0; turn < 100 && reload.length === 0; turn++) {
      await Promise.resolve();
      fixture.detectChanges();
      reload = http.match((r) => r.url.startsWith(`${TEST_API.query}/v1/me/bookings`));
    }
    expect(reload).toHaveLength(1);
    expect(reload[0].request.headers.get('Astro-Min-Version')).toBe('l-1:6');
    reload[0].flush(page([aBooking(400, { status: 'cancelled', refund_cents: 45_000_000, refund_percent: 90 })]));
    await fixture.whenStable();
    expect(root().querySelector('[data-testid="cancelled"]')?.textContent).toContain('refunded EUR 450,000.00 (90 %)');
    expect(root().querySelector('[role="dialog"]')).toBeNull();
    expect(text()).toContain('Cancelled');
  });

  it('closes the dialog without cancelling when the holder keeps the booking', async () => {
    await open([aBooking(400)]);
    button(/Cancel booking/).click();
    await fixture.whenStable();
    button(/Keep my booking/).click();
    await fixture.whenStable();
    expect(root().querySelector('[role="dialog"]')).toBeNull();
    http.expectNone((r) => r.method === 'POST');
  });
});
