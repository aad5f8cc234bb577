import { DOCUMENT } from '@angular/core';
import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Meta, Title } from '@angular/platform-browser';
import { RouterTestingHarness } from '@angular/router/testing';

import { QUERY_API, aLaunch, testProviders } from '../../testing';

const ID = '0b6f3a52-7c1d-4e1e-9a57-0d3a5c2b9e11';

describe('LaunchDetail', () => {
  let harness: RouterTestingHarness;
  let http: HttpTestingController;
  let response: ResponseInit;

  async function open(url: string): Promise<void> {
    response = { status: 200 };
    TestBed.configureTestingModule({ providers: testProviders(response) });
    http = TestBed.inject(HttpTestingController);
    harness = await RouterTestingHarness.create(url);
    TestBed.tick();
  }

  async function answer(body: object, status = 200): Promise<void> {
    http
      .expectOne(`${QUERY_API}/v1/launches/${ID}`)
      .flush(body, { status, statusText: status === 200 ? 'OK' : 'Error' });
    await harness.fixture.whenStable();
  }

  const page = () => harness.routeNativeElement as HTMLElement;
  const text = () => page().textContent?.replace(/\s+/g, ' ') ?? '';

  afterEach(() => http.verify());

  it('shows everything about the launch and a link to book it', async () => {
    await open(`/launches/${ID}`);
    await answer(aLaunch());
    expect(page().querySelector('h1')?.textContent).toBe('Moon launch on 12 Mar 2027 from Spaceport America');
    for (const fact of [
      'Selene IV',
      'The Moon',
      'Spaceport America',
      '12 Mar 2027, 09:30 MST (Spaceport America) · 17:30 in your time zone',
      'EUR 250,000.00',
      '3 of 10',
      'Confirmed',
    ]) {
      expect(text()).toContain(fact);
    }
    const book = Array.from(page().querySelectorAll('a')).find((a) => a.textContent?.trim() === 'Book seats');
    expect(book?.getAttribute('href')).toBe(`/launches/${ID}/book`);
  });

  it('titles and describes the page for crawlers, with its canonical URL', async () => {
    await open(`/launches/${ID}`);
    await answer(aLaunch());
    expect(TestBed.inject(Title).getTitle()).toBe('Moon launch on 12 Mar 2027 from Spaceport America — Astro Bookings');
    expect(TestBed.inject(Meta).getTag('name="description"')?.content).toContain('aboard Selene IV');
    expect(TestBed.inject(DOCUMENT).head.querySelector('link[rel="canonical"]')?.getAttribute('href')).toBe(
      `https://astro.example/launches/${ID}`,
    );
    expect(response.status).toBe(200);
  });

  it('gives the reason of a delay', async () => {
    await open(`/launches/${ID}`);
    await answer(aLaunch({ status: 'delayed', delay_reason: 'Upper-level winds' }));
    expect(text()).toContain('Delayed: Upper-level winds');
    expect(text()).toContain('Book seats');
  });

  it('gives the reason of an abort, and offers no booking', async () => {
    await open(`/launches/${ID}`);
    await answer(aLaunch({ status: 'aborted', abort_reason: 'Engine anomaly', bookable: false }));
    expect(text()).toContain('This launch was aborted: Engine anomaly');
    expect(text()).toContain('Seats on this launch are not on sale.');
    expect(text()).not.toContain('Book seats');
  });

  it('shows a friendly not-found page with a 404 status for an unknown launch', async () => {
    await open(`/launches/${ID}`);
    await answer({ title: 'Not found', status: 404, detail: 'No such launch.' }, 404);
    expect(page().querySelector('h1')?.textContent).toBe('Launch not found');
    expect(response.status).toBe(404);
    expect(TestBed.inject(Title).getTitle()).toBe('Launch not found — Astro Bookings');
    expect(TestBed.inject(Meta).getTag('name="robots"')?.content).toBe('noindex');
  });

  it('shows the not-found page for a malformed id without asking the query API', async () => {
    await open('/launches/not-a-launch');
    await harness.fixture.whenStable();
    http.expectNone(() => true);
    expect(page().querySelector('h1')?.textContent).toBe('Launch not found');
    expect(response.status).toBe(404);
  });

  it("shows the query API's problem when it fails otherwise", async () => {
    await open(`/launches/${ID}`);
    await answer({ title: 'Unavailable', status: 503, detail: 'The launches are unavailable.' }, 503);
    expect(page().querySelector('[role="alert"]')?.textContent).toContain('The launches are unavailable.');
    expect(response.status).toBe(503);
  });
});

describe('the catch-all route', () => {
  it('shows a not-found page with a 404 status for a path no route knows', async () => {
    const response: ResponseInit = { status: 200 };
    TestBed.configureTestingModule({ providers: testProviders(response) });
    const harness = await RouterTestingHarness.create('/no/such/page');
    await harness.fixture.whenStable();
    expect((harness.routeNativeElement as HTMLElement).querySelector('h1')?.textContent).toBe('Page not found');
    expect(response.status).toBe(404);
  });
});
