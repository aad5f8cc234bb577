import { HttpTestingController, TestRequest } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { NavigationEnd, Router } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { filter, firstValueFrom } from 'rxjs';
import type { NotificationPage } from '@astro/shared/api/query-api/models/notification-page';

import { QUERY_API, aNotification, testProviders } from '../../testing';
import { CHART_RENDERER } from '../summary-chart/summary-chart';
import { NotificationList } from './notification-list';

const SUMMARY = {
  as_of: '2027-01-10T12:00:00Z',
  counts: { pending: 1, sent: 40, failed: 0, dead: 3 },
  dead: 3,
  total: 44,
  failures_last_hour: 2,
  send_rate_per_minute: 0.4,
  sent_last_15_minutes: 6,
  sent_last_hour: 20,
  oldest_pending: null,
};

describe('NotificationList', () => {
  let harness: RouterTestingHarness;
  let http: HttpTestingController;

  async function open(url: string): Promise<void> {
    TestBed.configureTestingModule({
      providers: [
        testProviders([{ path: 'notifications', component: NotificationList }]),
        { provide: CHART_RENDERER, useValue: () => ({ update: () => undefined, destroy: () => undefined }) },
      ],
    });
    http = TestBed.inject(HttpTestingController);
    harness = await RouterTestingHarness.create(url);
  }

  function summary(): TestRequest {
    TestBed.tick();
    return http.expectOne(`${QUERY_API}/v1/ops/notifications/summary`);
  }

  function listing(): TestRequest {
    TestBed.tick();
    return http.expectOne((request) => request.url === `${QUERY_API}/v1/ops/notifications` && request.method === 'GET');
  }

  async function answer(body: Partial<NotificationPage>): Promise<void> {
    listing().flush({ items: [], page: 1, page_size: 20, total: 0, ...body });
    await harness.fixture.whenStable();
  }

  const root = () => harness.routeNativeElement as HTMLElement;
  const text = () => root().textContent?.replace(/\s+/g, ' ') ?? '';

  afterEach(() => http.verify());

  it("asks the query API for the URL's filters and page, 20 a page", async () => {
    await open('/notifications?status=dead&recipient=ada@example.com&from=2027-01-01&to=2027-01-31&page=2');
    summary().flush(SUMMARY);
    const params = listing().request.params;
    expect(Object.fromEntries(params.keys().map((key) => [key, params.get(key)]))).toEqual({
      status: 'dead',
      recipient: 'ada@example.com',
      from: '2027-01-01',
      to: '2027-01-31',
      page: '2',
      page_size: '20',
    });
  });

  it('shows the counts by status and each notification with a link to it', async () => {
    await open('/notifications');
    summary().flush(SUMMARY);
    await answer({ items: [aNotification()], total: 1 });
    expect(root().querySelector('[data-testid="counts"]')?.textContent).toContain('Dead (waits for IT): 3');
    expect(text()).toContain('44 in all');
    const row = root().querySelector('[data-testid="notification"]')!;
    expect(row.textContent).toContain('ada@example.com');
    expect(row.textContent).toContain('Sent');
    expect(row.textContent).toContain('10 Jan 2027, 11:59:00 UTC');
    expect(row.querySelector('a')?.getAttribute('href')).toBe('/notifications/0190a000-0000-7000-8000-0000000000f1');
    expect(text()).toContain('1 notification');
  });

  it('pages with links that keep the filters', async () => {
    await open('/notifications?status=sent&page=2');
    summary().flush(SUMMARY);
    await answer({ items: [aNotification()], page: 2, total: 45 });
    expect(text()).toContain('Page 2 of 3');
    expect(root().querySelector('a[rel="prev"]')?.getAttribute('href')).toBe('/notifications?status=sent');
    expect(root().querySelector('a[rel="next"]')?.getAttribute('href')).toBe('/notifications?status=sent&page=3');
  });

  it('puts the filters asked for into the URL, back on page 1', async () => {
    await open('/notifications?page=3');
    summary().flush(SUMMARY);
    await answer({ items: [], page: 3, total: 60 });
    const status = root().querySelector<HTMLSelectElement>('#filter-status')!;
    status.value = 'dead';
    status.dispatchEvent(new Event('change'));
    const recipient = root().querySelector<HTMLInputElement>('#filter-recipient')!;
    recipient.value = 'ada@example.com';
    recipient.dispatchEvent(new Event('input'));
    const navigated = firstValueFrom(TestBed.inject(Router).events.pipe(filter((event) => event instanceof NavigationEnd)));
    root().querySelector<HTMLFormElement>('form')!.dispatchEvent(new Event('submit'));
    await navigated;
    expect(TestBed.inject(Router).url).toBe('/notifications?status=dead&recipient=ada@example.com');
    expect(listing().request.params.get('recipient')).toBe('ada@example.com');
  });

  it('refuses a booking id that is not one, next to the field, without asking the API', async () => {
    await open('/notifications');
    summary().flush(SUMMARY);
    await answer({ items: [], total: 0 });
    const booking = root().querySelector<HTMLInputElement>('#filter-booking')!;
    booking.value = '1234';
    booking.dispatchEvent(new Event('input'));
    root().querySelector<HTMLFormElement>('form')!.dispatchEvent(new Event('submit'));
    await harness.fixture.whenStable();
    expect(booking.getAttribute('aria-invalid')).toBe('true');
    expect(booking.getAttribute('aria-describedby')).toBe('filter-booking-error');
    expect(root().querySelector('#filter-booking-error')?.getAttribute('role')).toBe('alert');
    TestBed.tick();
    http.expectNone(`${QUERY_API}/v1/ops/notifications`);
  });

  it("shows the query API's problem in an alert", async () => {
    await open('/notifications');
    summary().flush(SUMMARY);
    listing().flush({ title: 'Unavailable', detail: 'MongoDB does not answer.' }, { status: 503, statusText: 'Unavailable' });
    await harness.fixture.whenStable();
    expect(root().querySelector('[role="alert"]')?.textContent).toContain('MongoDB does not answer.');
  });
});
