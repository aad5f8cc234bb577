import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { RouterTestingHarness } from '@angular/router/testing';

import { QUERY_API, aNotification, testProviders } from '../../testing';
import { NotificationDetail, requeueRefusal, requeuedLabel } from './notification-detail';

const ID = '0190a000-0000-7000-8000-0000000000f1';

describe('NotificationDetail', () => {
  let harness: RouterTestingHarness;
  let http: HttpTestingController;
  const root = () => harness.routeNativeElement as HTMLElement;
  const testid = (id: string) => root().querySelector(`[data-testid="${id}"]`)?.textContent?.trim();

  async function open(body: object): Promise<void> {
    TestBed.configureTestingModule({ providers: testProviders([{ path: 'notifications/:id', component: NotificationDetail }]) });
    http = TestBed.inject(HttpTestingController);
    harness = await RouterTestingHarness.create(`/notifications/${ID}`);
    TestBed.tick();
    http.expectOne(`${QUERY_API}/v1/ops/notifications/${ID}`).flush(body);
    await harness.fixture.whenStable();
  }

  function requeue(): void {
    Array.from(root().querySelectorAll('button')).find((b) => b.textContent?.trim() === 'Re-queue')!.click();
  }

  afterEach(() => http.verify());

  it('shows the notification, its attempts and its last error', async () => {
    await open(aNotification({ status: 'dead', attempts: 5, last_error: 'SMTP 421: service not available', sent_at: null }));
    expect(root().querySelector('h1')?.textContent).toContain('Booking confirmed: Selene IV to the Moon');
    expect(testid('status')).toBe('Dead (waits for IT)');
    expect(testid('attempts')).toContain('5');
    expect(testid('last-error')).toBe('SMTP 421: service not available');
  });

  it('re-queues a dead notification and shows it pending', async () => {
    await open(aNotification({ status: 'dead', attempts: 5 }));
    requeue();
    const request = http.expectOne(`${QUERY_API}/v1/ops/notifications/${ID}/retry`);
    expect(request.request.method).toBe('POST');
    request.flush(aNotification({ status: 'pending', attempts: 0, requeued: 1 }));
    await harness.fixture.whenStable();
    expect(testid('requeued')).toContain('pending again');
    expect(testid('status')).toBe('Pending');
    expect(testid('attempts')).toContain('0');
  });

  it('says clearly why a sent notification cannot be re-queued (409)', async () => {
    await open(aNotification());
    requeue();
    http
      .expectOne(`${QUERY_API}/v1/ops/notifications/${ID}/retry`)
      .flush(
        { type: '/problems/not-retryable', title: 'Not retryable', status: 409, detail: 'The notification is sent.' },
        { status: 409, statusText: 'Conflict' },
      );
    await harness.fixture.whenStable();
    const refused = root().querySelector('[data-testid="requeue-refused"]')!;
    expect(refused.getAttribute('role')).toBe('alert');
    expect(refused.textContent?.trim()).toBe('This notification cannot be re-queued now. The notification is sent.');
  });

  it('says when there is no such notification', async () => {
    TestBed.configureTestingModule({ providers: testProviders([{ path: 'notifications/:id', component: NotificationDetail }]) });
    http = TestBed.inject(HttpTestingController);
    harness = await RouterTestingHarness.create(`/notifications/${ID}`);
    TestBed.tick();
    http.expectOne(`${QUERY_API}/v1/ops/notifications/${ID}`).flush({ status: 404 }, { status: 404, statusText: 'Not Found' });
    await harness.fixture.whenStable();
    expect(root().querySelector('[role="alert"]')?.textContent).toContain('There is no such notification.');
  });

  it('capitalises and ends the reason of a 409 as a sentence', () => {
    expect(requeueRefusal({ type: '/problems/not-retryable', status: 409, title: 'x', detail: 'it is sent', errors: [] })).toBe(
      'This notification cannot be re-queued now. It is sent.',
    );
  });

  it('passes other refusals on as the API words them', () => {
    expect(requeueRefusal({ type: 'about:blank', status: 503, title: 'x', detail: 'Try later.', errors: [] })).toBe('Try later.');
  });

  it('says how often IT re-queued it in words', () => {
    expect([0, 1, 3].map(requeuedLabel)).toEqual(['never', 'once', '3 times']);
  });
});
