import { Component, signal } from '@angular/core';
import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';

import { QUERY_API, testProviders } from '../../testing';
import { DEFAULT_QUERY, NotificationQuery } from '../notification-query';
import { RequeueDead, deadCount } from './requeue-dead';

@Component({
  imports: [RequeueDead],
  template: `<astro-requeue-dead [query]="query()" (requeued)="requeued.push($event)" />`,
})
class Host {
  readonly query = signal<NotificationQuery>({ ...DEFAULT_QUERY, status: 'sent', recipient: 'ada@example.com', from: '2027-01-01' });
  readonly requeued: number[] = [];
}

describe('RequeueDead', () => {
  let fixture: ComponentFixture<Host>;
  let http: HttpTestingController;
  const root = () => fixture.nativeElement as HTMLElement;
  const button = (label: string) =>
    Array.from(root().querySelectorAll('button')).find((b) => b.textContent?.trim().startsWith(label))!;
  const LIST = `${QUERY_API}/v1/ops/notifications`;

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: testProviders() });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(Host);
    await fixture.whenStable();
  });

  afterEach(() => http.verify());

  it('counts the dead ones of these filters, asks to confirm that many, then says how many were re-queued', async () => {
    button('Re-queue every dead notification').click();
    const count = http.expectOne((r) => r.url === LIST && r.method === 'GET');
    expect(count.request.params.get('status')).toBe('dead');
    expect(count.request.params.get('recipient')).toBe('ada@example.com');
    count.flush({ items: [], page: 1, page_size: 1, total: 3 });
    await fixture.whenStable();
    expect(root().querySelector('[data-testid="requeue-confirm"]')?.textContent).toContain('Re-queue 3 dead notifications?');

    button('Yes, re-queue 3 dead notifications').click();
    const retry = http.expectOne(`${LIST}/retry?status=dead&recipient=ada%40example.com&from=2027-01-01`);
    expect(retry.request.method).toBe('POST');
    retry.flush({ requeued: 3 });
    await fixture.whenStable();
    expect(root().querySelector('[data-testid="requeued"]')?.textContent).toContain('3 notifications re-queued.');
    expect(fixture.componentInstance.requeued).toEqual([3]);
  });

  it('re-queues nothing when nothing is dead, and says so', async () => {
    button('Re-queue every dead notification').click();
    http.expectOne((r) => r.url === LIST).flush({ items: [], page: 1, page_size: 1, total: 0 });
    await fixture.whenStable();
    expect(root().textContent).toContain('No dead notification matches these filters');
    expect(button('Yes, re-queue')).toBeUndefined();
  });

  it('keeps them dead when IT changes their mind, and forgets the count when the filters change', async () => {
    button('Re-queue every dead notification').click();
    http.expectOne((r) => r.url === LIST).flush({ items: [], page: 1, page_size: 1, total: 2 });
    await fixture.whenStable();
    button('Keep them dead').click();
    await fixture.whenStable();
    expect(root().querySelector('[data-testid="requeue-confirm"]')).toBeNull();

    button('Re-queue every dead notification').click();
    http.expectOne((r) => r.url === LIST).flush({ items: [], page: 1, page_size: 1, total: 2 });
    await fixture.whenStable();
    fixture.componentInstance.query.set(DEFAULT_QUERY);
    await fixture.whenStable();
    expect(root().querySelector('[data-testid="requeue-confirm"]')).toBeNull();
  });

  it('says how many in words', () => {
    expect(deadCount(1)).toBe('1 dead notification');
    expect(deadCount(4)).toBe('4 dead notifications');
  });
});
