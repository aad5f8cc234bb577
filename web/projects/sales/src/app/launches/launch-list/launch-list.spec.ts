import { DOCUMENT } from '@angular/core';
import { HttpTestingController, TestRequest } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Title } from '@angular/platform-browser';
import { NavigationEnd, Router } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { filter, firstValueFrom } from 'rxjs';
import type { PageLaunch } from '@astro/shared/api/query-api/models/page-launch';

import { QUERY_API, aLaunch, testProviders } from '../../testing';

describe('LaunchList', () => {
  let harness: RouterTestingHarness;
  let http: HttpTestingController;
  let response: ResponseInit;

  async function open(url: string): Promise<void> {
    response = { status: 200 };
    TestBed.configureTestingModule({ providers: testProviders(response) });
    http = TestBed.inject(HttpTestingController);
    harness = await RouterTestingHarness.create(url);
  }

  /** The pending listing request, after the page has asked for it. */
  function listing(): TestRequest {
    TestBed.tick();
    return http.expectOne((request) => request.url === `${QUERY_API}/v1/launches`);
  }

  async function answer(body: Partial<PageLaunch>): Promise<void> {
    listing().flush({ items: [], page: 1, page_size: 12, total: 0, ...body });
    await harness.fixture.whenStable();
  }

  const text = () => (harness.routeNativeElement as HTMLElement).textContent?.replace(/\s+/g, ' ') ?? '';
  const element = <T extends Element>(selector: string) =>
    (harness.routeNativeElement as HTMLElement).querySelector<T>(selector);

  afterEach(() => http.verify());

  it("asks the query API for the URL's filters, order and page, 12 launches a page", async () => {
    await open('/?destination=moon&from=2027-01-01&to=2027-06-30&min_seats=2&sort=-price&page=2');
    const params = listing().request.params;
    expect(Object.fromEntries(params.keys().map((key) => [key, params.get(key)]))).toEqual({
      destination: 'moon',
      departure_from: '2027-01-01',
      departure_to: '2027-06-30',
      min_free_seats: '2',
      sort: '-price',
      page: '2',
      page_size: '12',
    });
  });

  it('shows each launch as a card with its rocket, destination, departure, price, seats and status', async () => {
    await open('/');
    await answer({ items: [aLaunch()], total: 1 });
    expect(text()).toContain('1 launch');
    const card = element<HTMLElement>('astro-launch-card')!;
    expect(card.querySelector('h3 a')?.textContent?.trim()).toBe('Selene IV');
    expect(card.querySelector('h3 a')?.getAttribute('href')).toBe('/launches/0b6f3a52-7c1d-4e1e-9a57-0d3a5c2b9e11');
    const cardText = card.textContent?.replace(/\s+/g, ' ');
    expect(cardText).toContain('The Moon');
    expect(cardText).toContain('12 Mar 2027, 09:30 MST (Spaceport America) · 17:30 in your time zone');
    expect(cardText).toContain('EUR 250,000.00');
    expect(cardText).toContain('3 seats left');
    expect(cardText).toContain('Confirmed');
  });

  it('pages with links that keep the filters, and counts the pages', async () => {
    await open('/?destination=moon&page=2');
    await answer({ items: [aLaunch()], page: 2, total: 30 });
    expect(text()).toContain('30 launches');
    expect(text()).toContain('Page 2 of 3');
    expect(element('a[rel="prev"]')?.getAttribute('href')).toBe('/?destination=moon');
    expect(element('a[rel="next"]')?.getAttribute('href')).toBe('/?destination=moon&page=3');
  });

  it('says when no launch matches the filters, with a link to reset them', async () => {
    await open('/?destination=mars&min_seats=6');
    await answer({ items: [], total: 0 });
    expect(text()).toContain('No launch matches these filters');
    const reset = Array.from((harness.routeNativeElement as HTMLElement).querySelectorAll('a')).find(
      (a) => a.textContent?.trim() === 'Reset the filters',
    );
    expect(reset?.getAttribute('href')).toBe('/');
  });

  it("shows the query API's problem in an alert, and retries on request", async () => {
    await open('/');
    listing().flush(
      { title: 'Service unavailable', detail: 'The launches are unavailable; please retry shortly.', status: 503 },
      { status: 503, statusText: 'Service Unavailable' },
    );
    await harness.fixture.whenStable();
    expect(element('[role="alert"]')?.textContent).toContain('The launches are unavailable; please retry shortly.');
    expect(response.status).toBe(503);

    element<HTMLButtonElement>('[role="alert"] button')!.click();
    await answer({ items: [aLaunch()], total: 1 });
    expect(element('[role="alert"]')).toBeNull();
    expect(text()).toContain('Selene IV');
  });

  it('puts the filters asked for into the URL, back on page 1, and loads them', async () => {
    await open('/?page=3');
    await answer({ items: [], page: 3, total: 30 });
    const select = element<HTMLSelectElement>('#filter-destination')!;
    select.value = 'mars';
    select.dispatchEvent(new Event('change'));
    const sort = element<HTMLSelectElement>('#filter-sort')!;
    sort.value = 'price';
    sort.dispatchEvent(new Event('change'));
    const navigated = firstValueFrom(
      TestBed.inject(Router).events.pipe(filter((event) => event instanceof NavigationEnd)),
    );
    element<HTMLFormElement>('form')!.dispatchEvent(new Event('submit'));
    await navigated;
    expect(TestBed.inject(Router).url).toBe('/?destination=mars&sort=price');
    expect(listing().request.params.get('destination')).toBe('mars');
  });

  it('follows the URL when it changes (back and forward)', async () => {
    await open('/?destination=moon');
    await answer({ items: [aLaunch()], total: 1 });
    await harness.navigateByUrl('/?destination=mars');
    const request = listing();
    expect(request.request.params.get('destination')).toBe('mars');
    request.flush({ items: [], page: 1, page_size: 12, total: 0 });
    await harness.fixture.whenStable();
    expect(element<HTMLSelectElement>('#filter-destination')!.value).toBe('mars');
  });

  it('titles the page and links its canonical URL', async () => {
    await open('/?destination=moon&utm_source=mail');
    await answer({ items: [aLaunch()], total: 1 });
    expect(TestBed.inject(Title).getTitle()).toBe('Moon launches with free seats — Astro Bookings');
    const canonical = TestBed.inject(DOCUMENT).head.querySelector('link[rel="canonical"]');
    expect(canonical?.getAttribute('href')).toBe('https://astro.example/?destination=moon');
  });
});
