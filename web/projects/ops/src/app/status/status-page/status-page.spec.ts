import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';

import { QUERY_API, aReport, testProviders } from '../../testing';
import { StatusPage } from './status-page';

describe('StatusPage', () => {
  let fixture: ComponentFixture<StatusPage>;
  let http: HttpTestingController;
  let visibility: DocumentVisibilityState;

  const STATUS = `${QUERY_API}/v1/ops/status`;
  const text = () => (fixture.nativeElement as HTMLElement).textContent?.replace(/\s+/g, ' ') ?? '';
  const element = (selector: string) => (fixture.nativeElement as HTMLElement).querySelector(selector);

  /** Lets the answered promise settle, then renders. */
  async function settle(): Promise<void> {
    await jest.advanceTimersByTimeAsync(0);
    fixture.detectChanges();
  }

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2027-01-10T12:00:00Z'), doNotFake: ['queueMicrotask'] });
    visibility = 'visible';
    jest.spyOn(document, 'visibilityState', 'get').mockImplementation(() => visibility);
    TestBed.configureTestingModule({ providers: testProviders() });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(StatusPage);
    fixture.detectChanges();
  });

  afterEach(() => {
    fixture.destroy();
    http.verify();
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it("shows each service's state in words, its version, the consumers' pending counts and the projections' lag", async () => {
    http.expectOne(STATUS).flush(aReport());
    await settle();
    const query = element('[data-service="query-api"]')!;
    expect(query.textContent).toContain('ready');
    expect(query.classList).toContain('tone-ok');
    expect(query.textContent).toContain('Version not reported');
    expect(query.textContent).toContain('mongo: up');
    expect(text()).toContain('Stream EVENTS (ok), 120 messages');
    const cells = Array.from(element('tbody tr')!.children).map((cell) => cell.textContent?.trim());
    expect(cells).toEqual(['sales', '4', '1', '0', '1']);
    expect(element('[data-testid="projection"]')?.textContent).toContain('finance: caught up (2 events');
    expect(text()).toContain('Every service is ready.');
  });

  it('polls every 3 s and says how long ago it last heard', async () => {
    http.expectOne(STATUS).flush(aReport());
    await settle();
    expect(element('[data-testid="freshness"]')?.textContent).toContain('updated 0 s ago');
    await jest.advanceTimersByTimeAsync(2000);
    fixture.detectChanges();
    expect(element('[data-testid="freshness"]')?.textContent).toContain('updated 2 s ago');
    http.expectNone(STATUS);
    await jest.advanceTimersByTimeAsync(1000);
    http.expectOne(STATUS).flush(aReport());
    await settle();
    expect(element('[data-testid="freshness"]')?.textContent).toContain('updated 0 s ago');
  });

  it('turns a service that went down red, with its state in words, at the next poll', async () => {
    http.expectOne(STATUS).flush(aReport());
    await settle();
    await jest.advanceTimersByTimeAsync(3000);
    const down = aReport({ status: 'degraded' });
    down.services[1] = { ...down.services[1], status: 'unreachable', error: 'connection refused' };
    http.expectOne(STATUS).flush(down);
    await settle();
    const service = element('[data-service="command-api"]')!;
    expect(service.classList).toContain('tone-bad');
    expect(service.textContent).toContain('unreachable: no answer');
    expect(service.textContent).toContain('connection refused');
    expect(text()).toContain('Down: command-api.');
  });

  it('backs off after failures and says the state shown is the last one seen', async () => {
    http.expectOne(STATUS).flush(aReport());
    await settle();
    await jest.advanceTimersByTimeAsync(3000);
    http.expectOne(STATUS).flush({ title: 'Unavailable' }, { status: 503, statusText: 'Service Unavailable' });
    await settle();
    expect(element('[role="alert"]')?.textContent).toContain('We could not check the system.');
    expect(element('[role="alert"]')?.textContent).toContain('the last state we saw');
    // After one failure the next attempt waits 6 s, not 3.
    await jest.advanceTimersByTimeAsync(5000);
    http.expectNone(STATUS);
    await jest.advanceTimersByTimeAsync(1000);
    http.expectOne(STATUS).flush(aReport());
    await settle();
    expect(element('[role="alert"]')).toBeNull();
  });

  it('stops polling while the tab is hidden and asks at once when it shows again', async () => {
    http.expectOne(STATUS).flush(aReport());
    await settle();
    visibility = 'hidden';
    document.dispatchEvent(new Event('visibilitychange'));
    await jest.advanceTimersByTimeAsync(30_000);
    http.expectNone(STATUS);
    fixture.detectChanges();
    expect(element('[data-testid="freshness"]')?.textContent).toContain('Paused while this tab is hidden');
    visibility = 'visible';
    document.dispatchEvent(new Event('visibilitychange'));
    http.expectOne(STATUS).flush(aReport());
    await settle();
    expect(element('[data-testid="freshness"]')?.textContent).not.toContain('Paused');
  });
});
