/*
 * The operations launch list keeps its state in the URL
 * (`/launches?destination=moon&from=2027-01-01&sort=-departure&page=2`), as
 * the sales site's list does, so that a link can be shared and back and
 * forward work. Unlike the sales site it lists every launch (`all=true`).
 */
import type { List$Params } from '@astro/shared/api/query-api/fn/launches/list';
import type { DestinationName } from '@astro/shared/api/query-api/models/destination-name';
import type { SortName } from '@astro/shared/api/query-api/models/sort-name';

/** Launches per page. */
export const PAGE_SIZE = 20;

/** Every destination, in the order the filters and forms offer them. */
export const DESTINATIONS: readonly DestinationName[] = ['suborbital', 'low_earth_orbit', 'moon', 'mars'];

/** The orders of the list, as the URL names them. */
export type AdminSort = 'departure' | '-departure' | 'price' | '-price';

/** The orders and their labels. */
export const SORTS: readonly { readonly value: AdminSort; readonly label: string }[] = [
  { value: 'departure', label: 'Departure, soonest first' },
  { value: '-departure', label: 'Departure, latest first' },
  { value: 'price', label: 'Price, lowest first' },
  { value: '-price', label: 'Price, highest first' },
];

const API_SORT: Readonly<Record<AdminSort, SortName>> = {
  departure: 'departure_at',
  '-departure': '-departure_at',
  price: 'price',
  '-price': '-price',
};

/** What the list shows. */
export interface AdminLaunchQuery {
  readonly destination: DestinationName | null;
  /** First departure day `YYYY-MM-DD`, or null. */
  readonly from: string | null;
  /** Last departure day `YYYY-MM-DD` (inclusive), or null. */
  readonly to: string | null;
  readonly sort: AdminSort;
  /** From 1. */
  readonly page: number;
}

/** Every launch, soonest first, page 1. */
export const DEFAULT_ADMIN_QUERY: AdminLaunchQuery = { destination: null, from: null, to: null, sort: 'departure', page: 1 };

/** Query parameters as the router gives them. */
export type RawParams = Readonly<Record<string, string | readonly string[] | null | undefined>>;

/** The first value of a query parameter, trimmed, or null. */
export function firstParam(value: string | readonly string[] | null | undefined): string | null {
  const one = Array.isArray(value) ? value[0] : value;
  return typeof one === 'string' ? one.trim() : null;
}

/** A calendar day `YYYY-MM-DD` that exists, or null. */
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

/** A page number from 1 to 10,000 (the API's bound), or null. */
export function validPage(raw: string | null): number | null {
  if (raw === null || !/^\d{1,5}$/.test(raw)) {
    return null;
  }
  const page = Number(raw);
  return page >= 1 && page <= 10_000 ? page : null;
}

/** Reads the list's state from the URL; an invalid value falls back to its default. */
export function parseAdminQuery(params: RawParams): AdminLaunchQuery {
  const destination = firstParam(params['destination']);
  const sort = firstParam(params['sort']);
  const from = validDay(firstParam(params['from']));
  let to = validDay(firstParam(params['to']));
  if (from && to && to < from) {
    to = null;
  }
  return {
    destination: DESTINATIONS.find((known) => known === destination) ?? null,
    from,
    to,
    sort: SORTS.find((known) => known.value === sort)?.value ?? DEFAULT_ADMIN_QUERY.sort,
    page: validPage(firstParam(params['page'])) ?? 1,
  };
}

/** The URL's query parameters of a state, defaults left out, always in the same order. */
export function serializeAdminQuery(query: AdminLaunchQuery): Record<string, string> {
  const params: Record<string, string> = {};
  if (query.destination) params['destination'] = query.destination;
  if (query.from) params['from'] = query.from;
  if (query.to) params['to'] = query.to;
  if (query.sort !== DEFAULT_ADMIN_QUERY.sort) params['sort'] = query.sort;
  if (query.page !== 1) params['page'] = String(query.page);
  return params;
}

/**
 * The query API's parameters: every launch whatever its status or seats,
 * and, after a command, `Astro-Min-Version` so that the list shows it.
 */
export function toAdminListParams(query: AdminLaunchQuery, minVersion: string | null = null): List$Params {
  return {
    all: true,
    sort: API_SORT[query.sort],
    page: query.page,
    page_size: PAGE_SIZE,
    ...(query.destination ? { destination: query.destination } : {}),
    ...(query.from ? { departure_from: query.from } : {}),
    ...(query.to ? { departure_to: query.to } : {}),
    ...(minVersion ? { 'Astro-Min-Version': minVersion } : {}),
  };
}

/** `Astro-Min-Version` for a launch the command API answered with `version` (read-your-writes). */
export function minVersionOf(reply: { readonly launch_id: string; readonly version: number }): string {
  return `${reply.launch_id}:${reply.version}`;
}

/** How many pages `total` launches fill (at least 1). */
export function pageCount(total: number): number {
  return Math.max(1, Math.ceil(total / PAGE_SIZE));
}
