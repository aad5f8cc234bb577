/*
 * The launch list's state lives in the URL (`/?destination=moon&from=2027-01-01
 * &min_seats=2&sort=price&page=2`), so that a link can be shared and back and
 * forward work. These pure functions read it, write it and turn it into the
 * query API's parameters.
 */
import type { List$Params } from '@astro/shared/api/query-api/fn/launches/list';
import type { DestinationName } from '@astro/shared/api/query-api/models/destination-name';
import type { SortName } from '@astro/shared/api/query-api/models/sort-name';

/** Launches per page of the list. */
export const PAGE_SIZE = 12;

/** The destinations a visitor can filter on, in the order the filter offers them. */
export const DESTINATIONS: readonly DestinationName[] = ['suborbital', 'low_earth_orbit', 'moon', 'mars'];

/** The orders of the list, as the URL names them. */
export type LaunchSort = 'departure' | '-departure' | 'price' | '-price';

/** The orders and their labels, in the order the sort offers them. */
export const SORTS: readonly { readonly value: LaunchSort; readonly label: string }[] = [
  { value: 'departure', label: 'Departure, soonest first' },
  { value: '-departure', label: 'Departure, latest first' },
  { value: 'price', label: 'Price, lowest first' },
  { value: '-price', label: 'Price, highest first' },
];

const API_SORT: Readonly<Record<LaunchSort, SortName>> = {
  departure: 'departure_at',
  '-departure': '-departure_at',
  price: 'price',
  '-price': '-price',
};

/** What the list shows: its filters, order and page. */
export interface LaunchQuery {
  readonly destination: DestinationName | null;
  /** The first departure day, `YYYY-MM-DD` (UTC), or null. */
  readonly from: string | null;
  /** The last departure day, `YYYY-MM-DD` (UTC, inclusive), or null. */
  readonly to: string | null;
  /** At least this many free seats (1 to 1,000,000). */
  readonly minSeats: number;
  readonly sort: LaunchSort;
  /** From 1. */
  readonly page: number;
}

/** The list with no filter, soonest first, page 1. */
export const DEFAULT_QUERY: LaunchQuery = {
  destination: null,
  from: null,
  to: null,
  minSeats: 1,
  sort: 'departure',
  page: 1,
};

// The query API's own bounds: a value outside them would be a 422.
const MAX_SEATS = 1_000_000;
const MAX_PAGE = 10_000;

/** Query parameters as the router gives them: a name may be absent or repeated. */
export type RawParams = Readonly<Record<string, string | readonly string[] | null | undefined>>;

function first(value: string | readonly string[] | null | undefined): string | null {
  const one = Array.isArray(value) ? value[0] : value;
  return typeof one === 'string' ? one.trim() : null;
}

function wholeNumber(raw: string | null, min: number, max: number): number | null {
  if (raw === null || !/^\d{1,9}$/.test(raw)) {
    return null;
  }
  const value = Number(raw);
  return value >= min && value <= max ? value : null;
}

/** A calendar day `YYYY-MM-DD` from 1970 to 9999 that exists (no 30 February), or null. */
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

/**
 * Reads the list's state from the URL's query parameters. A value that is
 * not valid is dropped (its default applies) rather than failing the page:
 * links get edited by hand and outlive their launches.
 */
export function parseLaunchQuery(params: RawParams): LaunchQuery {
  const destination = first(params['destination']);
  const sort = first(params['sort']);
  const from = validDay(first(params['from']));
  let to = validDay(first(params['to']));
  // The query API refuses a range that ends before it starts; the later
  // bound is the one a visitor most likely mistyped.
  if (from && to && to < from) {
    to = null;
  }
  return {
    destination: DESTINATIONS.find((known) => known === destination) ?? null,
    from,
    to,
    minSeats: wholeNumber(first(params['min_seats']), 1, MAX_SEATS) ?? DEFAULT_QUERY.minSeats,
    sort: SORTS.find((known) => known.value === sort)?.value ?? DEFAULT_QUERY.sort,
    page: wholeNumber(first(params['page']), 1, MAX_PAGE) ?? DEFAULT_QUERY.page,
  };
}

/**
 * The URL's query parameters of a state, defaults left out (the plain list
 * is `/`), always in the same order so that equal states make equal links.
 */
export function serializeLaunchQuery(query: LaunchQuery): Record<string, string> {
  const params: Record<string, string> = {};
  if (query.destination) {
    params['destination'] = query.destination;
  }
  if (query.from) {
    params['from'] = query.from;
  }
  if (query.to) {
    params['to'] = query.to;
  }
  if (query.minSeats !== DEFAULT_QUERY.minSeats) {
    params['min_seats'] = String(query.minSeats);
  }
  if (query.sort !== DEFAULT_QUERY.sort) {
    params['sort'] = query.sort;
  }
  if (query.page !== DEFAULT_QUERY.page) {
    params['page'] = String(query.page);
  }
  return params;
}

/** The path and query of a state, e.g. `/?destination=moon&page=2` (for canonical links). */
export function launchListPath(query: LaunchQuery): string {
  const search = new URLSearchParams(serializeLaunchQuery(query)).toString();
  return search ? `/?${search}` : '/';
}

/** The query API's parameters for a state (bookable launches only, the API's default). */
export function toListParams(query: LaunchQuery): List$Params {
  const params: List$Params = {
    min_free_seats: query.minSeats,
    sort: API_SORT[query.sort],
    page: query.page,
    page_size: PAGE_SIZE,
  };
  return {
    ...params,
    ...(query.destination ? { destination: query.destination } : {}),
    ...(query.from ? { departure_from: query.from } : {}),
    ...(query.to ? { departure_to: query.to } : {}),
  };
}

/** How many pages `total` launches fill (at least 1, so that "page 1 of 1" reads right). */
export function pageCount(total: number): number {
  return Math.max(1, Math.ceil(total / PAGE_SIZE));
}

/** Whether a state filters at all (as opposed to only ordering or paging). */
export function isFiltered(query: LaunchQuery): boolean {
  return query.destination !== null || query.from !== null || query.to !== null || query.minSeats !== 1;
}

/** The filter form's values: what its inputs hold (empty strings for "any"). */
export interface FilterFormValue {
  readonly destination: DestinationName | '';
  readonly from: string;
  readonly to: string;
  readonly minSeats: number | null;
  readonly sort: LaunchSort;
}

/** The filter form's values for a state. */
export function filterFormValue(query: LaunchQuery): FilterFormValue {
  return {
    destination: query.destination ?? '',
    from: query.from ?? '',
    to: query.to ?? '',
    minSeats: query.minSeats,
    sort: query.sort,
  };
}

/**
 * The state the filter form asks for, back on page 1 (the old page number
 * means nothing under new filters); values are checked as a URL's would be.
 */
export function queryFromForm(value: FilterFormValue): LaunchQuery {
  return parseLaunchQuery({
    destination: value.destination,
    from: value.from,
    to: value.to,
    min_seats: value.minSeats === null ? '' : String(value.minSeats),
    sort: value.sort,
  });
}
