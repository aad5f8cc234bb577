/*
 * The finance ledger's state lives in the URL
 * (`/invoices?year=2027&kind=credit_note&as_of=2027-03-01T12:00:00.000Z`), so
 * that "the ledger as it stood at …" is a link one can send a colleague.
 */
import type { ListInvoices$Params } from '@astro/shared/api/query-api/fn/finance/list-invoices';
import type { KindName } from '@astro/shared/api/query-api/models/kind-name';

import { RawParams, firstParam, validPage } from '../launches/launch-admin-query';

/** Documents per page. */
export const INVOICE_PAGE_SIZE = 20;

/** The kinds and their labels. */
export const KINDS: readonly { readonly value: KindName; readonly label: string }[] = [
  { value: 'invoice', label: 'Invoices' },
  { value: 'credit_note', label: 'Credit notes' },
];

/** What the ledger shows. */
export interface InvoiceQuery {
  readonly year: number | null;
  /** A holder's id (UUID), or null. */
  readonly holder: string | null;
  /** A launch's id (UUID), or null. */
  readonly launch: string | null;
  readonly kind: KindName | null;
  /** The instant the ledger is read at (RFC 3339, UTC), or null for now. */
  readonly asOf: string | null;
  readonly page: number;
}

/** Every document, now, page 1. */
export const DEFAULT_INVOICE_QUERY: InvoiceQuery = { year: null, holder: null, launch: null, kind: null, asOf: null, page: 1 };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID as the API takes it, or null. */
export function validUuid(raw: string | null): string | null {
  return raw && UUID.test(raw) ? raw.toLowerCase() : null;
}

/** An instant as RFC 3339 UTC, or null when it is not one. */
export function validInstant(raw: string | null): string | null {
  if (!raw || !/^\d{4}-\d{2}-\d{2}T/.test(raw)) {
    return null;
  }
  const instant = new Date(raw);
  return Number.isNaN(instant.getTime()) ? null : instant.toISOString();
}

/** Reads the ledger's state from the URL; an invalid value falls back to its default. */
export function parseInvoiceQuery(params: RawParams): InvoiceQuery {
  const year = firstParam(params['year']);
  const kind = firstParam(params['kind']);
  return {
    year: year && /^\d{4}$/.test(year) && Number(year) >= 1 ? Number(year) : null,
    holder: validUuid(firstParam(params['holder'])),
    launch: validUuid(firstParam(params['launch'])),
    kind: KINDS.find((known) => known.value === kind)?.value ?? null,
    asOf: validInstant(firstParam(params['as_of'])),
    page: validPage(firstParam(params['page'])) ?? 1,
  };
}

/** The URL's query parameters of a state, defaults left out, always in the same order. */
export function serializeInvoiceQuery(query: InvoiceQuery): Record<string, string> {
  const params: Record<string, string> = {};
  if (query.year !== null) params['year'] = String(query.year);
  if (query.holder) params['holder'] = query.holder;
  if (query.launch) params['launch'] = query.launch;
  if (query.kind) params['kind'] = query.kind;
  if (query.asOf) params['as_of'] = query.asOf;
  if (query.page !== 1) params['page'] = String(query.page);
  return params;
}

/** The query API's parameters for a state. */
export function toInvoiceParams(query: InvoiceQuery): ListInvoices$Params {
  return {
    page: query.page,
    page_size: INVOICE_PAGE_SIZE,
    ...(query.year !== null ? { year: query.year } : {}),
    ...(query.holder ? { holder_id: query.holder } : {}),
    ...(query.launch ? { launch_id: query.launch } : {}),
    ...(query.kind ? { kind: query.kind } : {}),
    ...(query.asOf ? { as_of: query.asOf } : {}),
  };
}

/** What the filter form holds: text as typed. */
export interface InvoiceFilterValue {
  readonly year: string;
  readonly holder: string;
  readonly launch: string;
  readonly kind: KindName | '';
  /** A `datetime-local` value, already turned into RFC 3339 (or '' for now). */
  readonly asOf: string;
}

/** Why the filter form's values cannot be applied, by field (empty when they can). */
export function invoiceFilterErrors(value: InvoiceFilterValue): Readonly<Record<string, string>> {
  const errors: Record<string, string> = {};
  if (value.year.trim() && !/^\d{4}$/.test(value.year.trim())) {
    errors['year'] = 'Enter a year of four digits, such as 2027.';
  }
  if (value.holder.trim() && !validUuid(value.holder.trim())) {
    errors['holder'] = "Enter the holder's id, a UUID such as 0b6f3a52-7c1d-4e1e-9a57-0d3a5c2b9e11.";
  }
  if (value.launch.trim() && !validUuid(value.launch.trim())) {
    errors['launch'] = "Enter the launch's id, a UUID.";
  }
  return errors;
}

/** The state the filter form asks for, back on page 1. */
export function invoiceQueryFromForm(value: InvoiceFilterValue): InvoiceQuery {
  return parseInvoiceQuery({
    year: value.year,
    holder: value.holder,
    launch: value.launch,
    kind: value.kind,
    as_of: value.asOf,
  });
}

/** A document's kind for people. */
export function kindLabel(kind: string): string {
  return kind === 'credit_note' ? 'Credit note' : kind === 'invoice' ? 'Invoice' : kind;
}

/** A credit note's reason for people. */
export function creditReasonLabel(reason: string): string {
  return (
    { holder_cancelled: 'Cancelled by the holder', launch_aborted: 'Launch aborted' }[reason] ?? reason
  );
}

/** The file name a document's PDF is saved under. */
export function pdfFileName(number: string): string {
  return `${number.replace(/[^A-Za-z0-9-]/g, '')}.pdf`;
}
