import { HttpTestingController, TestRequest } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { RouterTestingHarness } from '@angular/router/testing';
import { Router } from '@angular/router';

import { QUERY_API, signInAs, testProviders } from '../../testing';

const LAUNCH = '0b6f3a52-7c1d-4e1e-9a57-0d3a5c2b9e11';
const totals = (invoiced: number, credited: number) => ({ invoiced_cents: invoiced, credited_cents: credited, net_cents: invoiced - credited });
const doc = (number: string, kind: string, amount: number) => ({
  number,
  kind,
  amount_cents: amount,
  booking_id: 'b-1',
  holder_id: 'h-1',
  holder_kind: 'traveler',
  issued_at: '2027-03-01T12:00:00Z',
  launch_id: LAUNCH,
  year: 2027,
  seats: 1,
  unit_price_cents: amount,
});

describe('InvoicesPage', () => {
  let harness: RouterTestingHarness;
  let http: HttpTestingController;

  async function open(url: string): Promise<void> {
    signInAs('finance');
    TestBed.configureTestingModule({ providers: testProviders() });
    http = TestBed.inject(HttpTestingController);
    harness = await RouterTestingHarness.create(url);
  }
  function listing(): TestRequest {
    TestBed.tick();
    return http.expectOne((request) => request.url === `${QUERY_API}/v1/invoices`);
  }
  const root = () => harness.routeNativeElement as HTMLElement;
  const settle = async () => {
    await harness.fixture.whenStable();
    harness.fixture.detectChanges();
  };

  afterEach(() => {
    http.verify();
    localStorage.clear();
  });

  it('reads the ledger as it stood at the instant of the URL, and says so', async () => {
    await open(`/invoices?launch=${LAUNCH}&kind=invoice&as_of=2027-03-01T12:00:00Z`);
    const request = listing();
    expect(request.request.params.get('as_of')).toBe('2027-03-01T12:00:00.000Z');
    expect(request.request.params.get('launch_id')).toBe(LAUNCH);
    expect(request.request.params.get('kind')).toBe('invoice');
    request.flush({ items: [doc('INV-2027-000001', 'invoice', 120_000_050)], page: 1, page_size: 20, total: 1, page_totals: totals(120_000_050, 0), totals: totals(120_000_050, 0), position: 5, projected_up_to: 9, as_of: '2027-03-01T12:00:00Z' });
    await settle();
    expect(root().querySelector('[data-testid="as-of"]')?.textContent).toContain('The ledger as it stood at 1 Mar 2027, 12:00 UTC');
    const link = root().querySelector('tbody a')!;
    expect(link.getAttribute('href')).toBe('/invoices/INV-2027-000001?as_of=2027-03-01T12:00:00.000Z');
  });

  it("shows the page's totals as the API gives them", async () => {
    await open('/invoices');
    listing().flush({
      items: [doc('INV-2027-000001', 'invoice', 25_000_000), doc('CN-2027-000001', 'credit_note', 25_000_000)],
      page: 1, page_size: 20, total: 2,
      page_totals: totals(25_000_000, 25_000_000), totals: totals(50_000_000, 25_000_000), position: 9, projected_up_to: 9,
    });
    await settle();
    expect(root().querySelector('[data-testid="page-totals"]')?.textContent?.replace(/\s+/g, ' ').trim()).toBe(
      'EUR 250,000.00 · EUR 250,000.00 · EUR 0.00',
    );
    expect(root().querySelector('[data-testid="totals"]')?.textContent).toContain('EUR 500,000.00');
    expect(root().textContent).toContain('Credit note');
  });

  it('puts valid filters in the URL and names the invalid ones next to their fields', async () => {
    await open('/invoices');
    listing().flush({ items: [], page: 1, page_size: 20, total: 0, page_totals: totals(0, 0), totals: totals(0, 0), position: 0, projected_up_to: 0 });
    await settle();
    const year = root().querySelector<HTMLInputElement>('#filter-year')!;
    year.value = '27';
    year.dispatchEvent(new Event('input'));
    root().querySelector('form')!.dispatchEvent(new Event('submit'));
    await settle();
    expect(year.getAttribute('aria-invalid')).toBe('true');
    expect(root().querySelector('#filter-year-error')?.textContent).toContain('four digits');

    const navigate = jest.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
    year.value = '2027';
    year.dispatchEvent(new Event('input'));
    root().querySelector('form')!.dispatchEvent(new Event('submit'));
    expect(navigate).toHaveBeenCalledWith(['/invoices'], { queryParams: { year: '2027' } });
  });
});
