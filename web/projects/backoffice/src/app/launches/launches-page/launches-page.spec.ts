import { HttpTestingController, TestRequest } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { RouterTestingHarness } from '@angular/router/testing';

import { COMMAND_API, QUERY_API, aLaunch, nextRequest, signInAs, testProviders } from '../../testing';

describe('LaunchesPage', () => {
  let harness: RouterTestingHarness;
  let http: HttpTestingController;

  async function open(url: string): Promise<void> {
    signInAs('operations');
    TestBed.configureTestingModule({ providers: testProviders() });
    http = TestBed.inject(HttpTestingController);
    harness = await RouterTestingHarness.create(url);
  }

  function listing(): TestRequest {
    TestBed.tick();
    return http.expectOne((request) => request.url === `${QUERY_API}/v1/launches`);
  }

  async function settle(): Promise<void> {
    await harness.fixture.whenStable();
    harness.fixture.detectChanges();
  }

  const root = () => harness.routeNativeElement as HTMLElement;
  const text = () => root().textContent?.replace(/\s+/g, ' ') ?? '';
  const button = (label: string) =>
    [...root().querySelectorAll('button')].find((b) => b.textContent?.trim() === label) as HTMLButtonElement;

  afterEach(() => {
    http.verify();
    localStorage.clear();
  });

  it("asks for every launch, with the URL's filters and page", async () => {
    await open('/launches?destination=mars&from=2027-01-01&sort=-price&page=2');
    const params = listing().request.params;
    expect(Object.fromEntries(params.keys().map((key) => [key, params.get(key)]))).toEqual({
      all: 'true',
      destination: 'mars',
      departure_from: '2027-01-01',
      sort: '-price',
      page: '2',
      page_size: '20',
    });
  });

  it('lists aborted launches with their reason and offers them no action', async () => {
    await open('/launches');
    listing().flush({ items: [aLaunch({ status: 'aborted', abort_reason: 'Engine anomaly', bookable: false })], page: 1, page_size: 20, total: 1 });
    await settle();
    expect(text()).toContain('Aborted');
    expect(text()).toContain('Engine anomaly');
    expect(root().querySelector('tbody button')).toBeNull();
  });

  it('aborts after the confirmation, shows the bookings refunded, and reads the list at the version answered', async () => {
    await open('/launches');
    listing().flush({ items: [aLaunch({ seats_booked: 1 })], page: 1, page_size: 20, total: 1 });
    await settle();
    button('Abort').click();
    await settle();
    expect(text()).toContain('Every active booking is refunded in full');
    expect(text()).toContain('1 booked seat will be refunded');

    // No reason: refused here, next to the field.
    button('Yes, abort').click();
    await settle();
    const reason = root().querySelector<HTMLTextAreaElement>('#action-reason')!;
    expect(reason.getAttribute('aria-invalid')).toBe('true');
    expect(reason.getAttribute('aria-describedby')).toBe('action-reason-error');

    reason.value = 'Engine anomaly';
    reason.dispatchEvent(new Event('input'));
    await settle();
    expect(reason.getAttribute('aria-invalid')).toBeNull();
    button('Yes, abort').click();
    const command = http.expectOne(`${COMMAND_API}/v1/launches/${aLaunch().id}/abort`);
    expect(command.request.body).toEqual({ reason: 'Engine anomaly' });
    command.flush({ launch_id: aLaunch().id, status: 'aborted', version: 5, free_seats: 10, refunded_bookings: 1, departure_at: aLaunch().departure_at });
    const again = await nextRequest((request) => request.url === `${QUERY_API}/v1/launches`);
    expect(again.request.headers.get('Astro-Min-Version')).toBe(`${aLaunch().id}:5`);
    again.flush({ items: [aLaunch({ status: 'aborted' })], page: 1, page_size: 20, total: 1 });
    await settle();
    expect(root().querySelector('[data-testid="outcome"]')?.textContent).toContain('Launch aborted. 1 booking refunded in full.');
  });

  it("shows a 409 with the server's detail and keeps the list as it was", async () => {
    await open('/launches');
    listing().flush({ items: [aLaunch({ status: 'confirmed' })], page: 1, page_size: 20, total: 1 });
    await settle();
    button('Mark launched').click();
    await settle();
    button('Yes, mark launched').click();
    http
      .expectOne(`${COMMAND_API}/v1/launches/${aLaunch().id}/launched`)
      .flush(
        { type: '/problems/launch-not-departed', title: 'Conflict', status: 409, detail: 'It departs on 12 March 2027.' },
        { status: 409, statusText: 'Conflict' },
      );
    await settle();
    expect(root().querySelector('[data-testid="refusal"]')?.textContent).toContain(
      'This launch cannot be marked launched now: It departs on 12 March 2027.',
    );
  });

  it('delays with the new date and the reason the API takes', async () => {
    await open('/launches');
    listing().flush({ items: [aLaunch()], page: 1, page_size: 20, total: 1 });
    await settle();
    button('Delay').click();
    await settle();
    const departure = root().querySelector<HTMLInputElement>('#action-departure')!;
    departure.value = '2027-04-01T10:00';
    departure.dispatchEvent(new Event('input'));
    const reason = root().querySelector<HTMLTextAreaElement>('#action-reason')!;
    reason.value = 'Weather window';
    reason.dispatchEvent(new Event('input'));
    button('Yes, delay').click();
    const command = http.expectOne(`${COMMAND_API}/v1/launches/${aLaunch().id}/delay`);
    expect(command.request.body).toEqual({ new_departure_at: new Date(2027, 3, 1, 10, 0).toISOString(), reason: 'Weather window' });
    command.flush(
      { type: '/problems/validation', title: 'Invalid', status: 422, detail: 'x', errors: [{ field: 'new_departure_at', code: 'not_later', message: 'must be later' }] },
      { status: 422, statusText: 'Unprocessable' },
    );
    await settle();
    expect(root().querySelector('#action-departure-error')?.textContent).toContain('must be later');
    expect(departure.getAttribute('aria-invalid')).toBe('true');
  });
});
