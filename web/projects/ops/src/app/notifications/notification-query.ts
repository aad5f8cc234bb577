/*
 * The notifications list's state lives in the URL (`/notifications?status=dead
 * &recipient=ada@example.com&from=2027-01-01&page=2`), so that IT can share a
 * link to what they look at, and back and forward work. These pure functions
 * read it, write it and turn it into the query API's parameters.
 */
import type { ListNotifications$Params } from '@astro/shared/api/query-api/fn/it/list-notifications';
import type { RetryNotifications$Params } from '@astro/shared/api/query-api/fn/it/retry-notifications';

/** Notifications per page. */
export const PAGE_SIZE = 20;

/** The statuses a notification can have, in the order the filter offers them. */
export const STATUSES = ['pending', 'sent', 'failed', 'dead'] as const;

/** A notification's status. */
export type NotificationStatus = (typeof STATUSES)[number];

/** What the list shows: its filters and page. */
export interface NotificationQuery {
  readonly status: NotificationStatus | null;
  /** The recipient's address, exact (the API ignores the case). */
  readonly recipient: string | null;
  /** A booking id (UUID). */
  readonly bookingId: string | null;
  /** The first day, `YYYY-MM-DD`, or null. */
  readonly from: string | null;
  /** The last day, `YYYY-MM-DD`, or null. */
  readonly to: string | null;
  /** From 1. */
  readonly page: number;
}

/** Every notification, newest first, page 1. */
export const DEFAULT_QUERY: NotificationQuery = {
  status: null,
  recipient: null,
  bookingId: null,
  from: null,
  to: null,
  page: 1,
};

/** Query parameters as the router gives them: a name may be absent or repeated. */
export type RawParams = Readonly<Record<string, string | readonly string[] | null | undefined>>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// The query API's bounds: past them it answers 422.
const MAX_PAGE = 10_000;
const MAX_RECIPIENT = 320;

function first(value: string | readonly string[] | null | undefined): string | null {
  const one = Array.isArray(value) ? value[0] : value;
  return typeof one === 'string' ? one.trim() : null;
}

/** A calendar day `YYYY-MM-DD` from 1970 that exists, or null. */
export function validDay(raw: string | null): string | null {
  const match = raw ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw) : null;
  if (!match) {
    return null;
  }
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  const exists = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return exists && year >= 1970 ? raw : null;
}

function recipientOf(raw: string | null): string | null {
  // Control characters are a 422 at the API; such a link is dropped instead.
  // eslint-disable-next-line no-control-regex
  if (!raw || raw.length > MAX_RECIPIENT || /[\u0000-\u001f\u007f-\u009f]/.test(raw)) {
    return null;
  }
  return raw;
}

/**
 * Reads the list's state from the URL. A value that is not valid is dropped
 * (its default applies) rather than failing the page: links get edited by hand.
 */
export function parseNotificationQuery(params: RawParams): NotificationQuery {
  const status = first(params['status']);
  const bookingId = first(params['booking']);
  const pageRaw = first(params['page']);
  const page = pageRaw !== null && /^\d{1,5}$/.test(pageRaw) ? Number(pageRaw) : 0;
  const from = validDay(first(params['from']));
  let to = validDay(first(params['to']));
  if (from && to && to < from) {
    to = null;
  }
  return {
    status: STATUSES.find((known) => known === status) ?? null,
    recipient: recipientOf(first(params['recipient'])),
    bookingId: bookingId && UUID.test(bookingId) ? bookingId.toLowerCase() : null,
    from,
    to,
    page: page >= 1 && page <= MAX_PAGE ? page : 1,
  };
}

/** The URL's query parameters of a state, defaults left out, always in the same order. */
export function serializeNotificationQuery(query: NotificationQuery): Record<string, string> {
  const params: Record<string, string> = {};
  if (query.status) {
    params['status'] = query.status;
  }
  if (query.recipient) {
    params['recipient'] = query.recipient;
  }
  if (query.bookingId) {
    params['booking'] = query.bookingId;
  }
  if (query.from) {
    params['from'] = query.from;
  }
  if (query.to) {
    params['to'] = query.to;
  }
  if (query.page !== 1) {
    params['page'] = String(query.page);
  }
  return params;
}

/** Whether two states ask for the same list (so that an unrelated parameter does not refetch). */
export function sameQuery(a: NotificationQuery, b: NotificationQuery): boolean {
  return JSON.stringify(serializeNotificationQuery(a)) === JSON.stringify(serializeNotificationQuery(b));
}

/** The filters every query API call of the list shares (no status, no page). */
function filterParams(query: NotificationQuery): RetryNotifications$Params {
  return {
    ...(query.recipient ? { recipient: query.recipient } : {}),
    ...(query.bookingId ? { booking_id: query.bookingId } : {}),
    ...(query.from ? { from: query.from } : {}),
    ...(query.to ? { to: query.to } : {}),
  };
}

/** The query API's parameters for a state's page. */
export function toListParams(query: NotificationQuery): ListNotifications$Params {
  return {
    ...(query.status ? { status: query.status } : {}),
    ...filterParams(query),
    page: query.page,
    page_size: PAGE_SIZE,
  };
}

/**
 * The count of what a bulk re-queue would take: the list's total of the
 * same filters with `status=dead` (one item is enough, only `total` is read).
 */
export function toDeadCountParams(query: NotificationQuery): ListNotifications$Params {
  return { status: 'dead', ...filterParams(query), page: 1, page_size: 1 };
}

/**
 * The bulk re-queue's parameters: the same filters, dead ones only (what a
 * status filter other than `dead` would list is not re-queued).
 */
export function toRetryParams(query: NotificationQuery): RetryNotifications$Params {
  return { status: 'dead', ...filterParams(query) };
}

/** How many pages `total` notifications fill (at least 1). */
export function pageCount(total: number): number {
  return Math.max(1, Math.ceil(total / PAGE_SIZE));
}

/** The filter form's values: what its inputs hold (empty strings for "any"). */
export interface FilterFormValue {
  readonly status: NotificationStatus | '';
  readonly recipient: string;
  readonly bookingId: string;
  readonly from: string;
  readonly to: string;
}

/** The filter form's values for a state. */
export function filterFormValue(query: NotificationQuery): FilterFormValue {
  return {
    status: query.status ?? '',
    recipient: query.recipient ?? '',
    bookingId: query.bookingId ?? '',
    from: query.from ?? '',
    to: query.to ?? '',
  };
}

/** The state the filter form asks for, back on page 1, checked as a URL's would be. */
export function queryFromForm(value: FilterFormValue): NotificationQuery {
  return parseNotificationQuery({
    status: value.status,
    recipient: value.recipient,
    booking: value.bookingId,
    from: value.from,
    to: value.to,
  });
}

/** Whether a booking id typed into the filter can be one (a UUID), for the field's own error. */
export function isBookingId(value: string): boolean {
  return value.trim() === '' || UUID.test(value.trim());
}
