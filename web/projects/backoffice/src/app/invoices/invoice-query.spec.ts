import {
  DEFAULT_INVOICE_QUERY,
  creditReasonLabel,
  invoiceFilterErrors,
  invoiceQueryFromForm,
  kindLabel,
  parseInvoiceQuery,
  pdfFileName,
  serializeInvoiceQuery,
  toInvoiceParams,
} from './invoice-query';

const HOLDER = '0b6f3a52-7c1d-4e1e-9a57-0d3a5c2b9e11';
const LAUNCH = '5d0c3e41-9f0a-4b8e-8c1b-2f6a1d7e3c22';

describe('the ledger URL state', () => {
  it('reads every filter, the as-of instant and the page', () => {
    expect(
      parseInvoiceQuery({ year: '2027', holder: HOLDER, launch: LAUNCH, kind: 'credit_note', as_of: '2027-03-01T12:00:00Z', page: '2' }),
    ).toEqual({ year: 2027, holder: HOLDER, launch: LAUNCH, kind: 'credit_note', asOf: '2027-03-01T12:00:00.000Z', page: 2 });
  });

  it('drops what is not valid', () => {
    expect(parseInvoiceQuery({ year: '27', holder: 'bob', launch: '42', kind: 'receipt', as_of: 'yesterday', page: 'x' })).toEqual(
      DEFAULT_INVOICE_QUERY,
    );
  });

  it('round-trips a state through the URL, defaults left out', () => {
    expect(serializeInvoiceQuery(DEFAULT_INVOICE_QUERY)).toEqual({});
    const query = { ...DEFAULT_INVOICE_QUERY, kind: 'invoice', asOf: '2027-03-01T12:00:00.000Z', page: 3 } as const;
    expect(parseInvoiceQuery(serializeInvoiceQuery(query))).toEqual(query);
  });

  it('asks the query API with its own parameter names', () => {
    expect(toInvoiceParams({ year: 2027, holder: HOLDER, launch: LAUNCH, kind: 'invoice', asOf: '2027-03-01T12:00:00.000Z', page: 1 })).toEqual({
      page: 1,
      page_size: 20,
      year: 2027,
      holder_id: HOLDER,
      launch_id: LAUNCH,
      kind: 'invoice',
      as_of: '2027-03-01T12:00:00.000Z',
    });
    expect(toInvoiceParams(DEFAULT_INVOICE_QUERY)).toEqual({ page: 1, page_size: 20 });
  });

  it('names each field the filter form cannot apply', () => {
    expect(invoiceFilterErrors({ year: '27', holder: 'bob', launch: 'x', kind: '', asOf: '' })).toEqual({
      year: expect.stringContaining('four digits'),
      holder: expect.stringContaining('UUID'),
      launch: expect.stringContaining('UUID'),
    });
    expect(invoiceFilterErrors({ year: '2027', holder: HOLDER, launch: '', kind: 'invoice', asOf: '' })).toEqual({});
  });

  it('applies the filter form from page 1', () => {
    expect(invoiceQueryFromForm({ year: ' 2027 ', holder: '', launch: LAUNCH, kind: 'credit_note', asOf: '' })).toEqual({
      ...DEFAULT_INVOICE_QUERY,
      year: 2027,
      launch: LAUNCH,
      kind: 'credit_note',
    });
  });

  it('labels kinds and reasons for people, and names the PDF after the number', () => {
    expect(kindLabel('credit_note')).toBe('Credit note');
    expect(kindLabel('invoice')).toBe('Invoice');
    expect(creditReasonLabel('launch_aborted')).toBe('Launch aborted');
    expect(creditReasonLabel('other')).toBe('other');
    expect(pdfFileName('INV-2027-000001')).toBe('INV-2027-000001.pdf');
    expect(pdfFileName('../x')).toBe('x.pdf');
  });
});
