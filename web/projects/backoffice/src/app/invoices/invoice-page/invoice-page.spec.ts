import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { RouterTestingHarness } from '@angular/router/testing';

import { QUERY_API, signInAs, testProviders } from '../../testing';

const invoice = {
  number: 'INV-2027-000001',
  kind: 'invoice',
  amount_cents: 25_000_000,
  booking_id: 'b-1',
  holder_id: 'h-1',
  holder_kind: 'traveler',
  issued_at: '2027-03-01T12:00:00Z',
  launch_id: 'l-1',
  year: 2027,
  seats: 1,
  unit_price_cents: 25_000_000,
  launch: { rocket_name: 'Selene IV', destination: 'moon', spaceport: 'Kourou', departure_at: '2027-06-01T10:00:00Z' },
  payer: { kind: 'traveler', full_name: 'Ada Lovelace', email: 'ada@example.com' },
  lines: [{ line_no: 1, description: 'Seat to the Moon', passenger_name: 'Ada Lovelace', quantity: 1, unit_price_cents: 25_000_000, amount_cents: 25_000_000 }],
  credit_notes: [],
  position: 4,
  projected_up_to: 9,
};

describe('InvoicePage', () => {
  let harness: RouterTestingHarness;
  let http: HttpTestingController;

  async function open(url: string): Promise<void> {
    signInAs('finance');
    TestBed.configureTestingModule({ providers: testProviders() });
    http = TestBed.inject(HttpTestingController);
    harness = await RouterTestingHarness.create(url);
    TestBed.tick();
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

  it('shows the invoice with its lines and payer, and no credit note at the as-of instant', async () => {
    await open('/invoices/INV-2027-000001?as_of=2027-03-02T00:00:00Z');
    const request = http.expectOne((r) => r.url === `${QUERY_API}/v1/invoices/INV-2027-000001`);
    expect(request.request.params.get('as_of')).toBe('2027-03-02T00:00:00.000Z');
    request.flush(invoice);
    await settle();
    const text = root().textContent?.replace(/\s+/g, ' ') ?? '';
    expect(root().querySelector('h1')?.textContent).toContain('Invoice INV-2027-000001');
    expect(text).toContain('Ada Lovelace (traveler)');
    expect(root().querySelector('tbody tr')?.textContent).toContain('Seat to the Moon');
    expect(root().querySelector('[data-testid="no-credit-notes"]')?.textContent).toContain('No credit note at that time.');
  });

  it('downloads the PDF with a request (the token never goes in a URL) and saves it under its number', async () => {
    await open('/invoices/INV-2027-000001');
    http.expectOne(`${QUERY_API}/v1/invoices/INV-2027-000001`).flush(invoice);
    await settle();
    Object.assign(URL, { createObjectURL: jest.fn(() => 'blob:pdf'), revokeObjectURL: jest.fn() });
    const saved: string[] = [];
    const click = jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      saved.push(this.download);
    });
    [...root().querySelectorAll('button')].find((b) => b.textContent?.includes('Download the PDF'))!.click();
    const pdf = http.expectOne(`${QUERY_API}/v1/invoices/INV-2027-000001.pdf`);
    expect(pdf.request.responseType).toBe('blob');
    pdf.flush(new Blob(['%PDF-1.7'], { type: 'application/pdf' }));
    await settle();
    expect(saved).toEqual(['INV-2027-000001.pdf']);
    click.mockRestore();
  });

  it('says when no document has the number', async () => {
    await open('/invoices/INV-2027-999999');
    http
      .expectOne(`${QUERY_API}/v1/invoices/INV-2027-999999`)
      .flush({ title: 'Not found', status: 404, detail: 'x' }, { status: 404, statusText: 'Not Found' });
    await settle();
    expect(root().querySelector('[role="alert"]')?.textContent).toContain('No document has this number.');
  });
});
