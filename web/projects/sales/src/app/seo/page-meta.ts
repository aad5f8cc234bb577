/*
 * What each public page tells crawlers and browser tabs: its title, its
 * description and its canonical path. Pure functions of the page's data.
 */
import { formatDay, formatMoney, seatsLeftLabel, spaceportTimeZone } from '@astro/shared';
import type { Launch } from '@astro/shared/api/query-api/models/launch';

import { LaunchQuery, launchListPath } from '../launches/launch-query';

/** The site's name, the end of every title. */
export const SITE_NAME = 'Astro Bookings';

/** A page's title, description and canonical path. */
export interface PageMeta {
  /** The whole `<title>`, site name included. */
  readonly title: string;
  readonly description: string;
  /** The canonical path (with its query, if any), e.g. `/launches/…`; null for no canonical link. */
  readonly path: string | null;
  /** Whether crawlers should leave the page out of their index (error pages). */
  readonly noIndex?: boolean;
}

// Titles say "Moon launch", where the list's labels say "The Moon".
const DESTINATION_NOUNS: Readonly<Record<string, string>> = {
  suborbital: 'Suborbital',
  low_earth_orbit: 'Low Earth orbit',
  moon: 'Moon',
  mars: 'Mars',
};

/** A destination as the first word of a title: `moon` → `Moon`. */
export function destinationNoun(destination: string): string {
  return DESTINATION_NOUNS[destination] ?? destination;
}

/** The launch list's metadata: one canonical URL per distinct state. */
export function listPageMeta(query: LaunchQuery): PageMeta {
  const what = query.destination ? `${destinationNoun(query.destination)} launches` : 'Space launches';
  const page = query.page > 1 ? ` (page ${query.page})` : '';
  const description = query.destination
    ? `Book seats on ${destinationNoun(query.destination)} launches: departure, price per seat and seats left.`
    : 'Book seats on space launches: suborbital hops, low Earth orbit, the Moon and Mars.';
  return {
    title: `${what} with free seats${page} — ${SITE_NAME}`,
    description,
    path: launchListPath(query),
  };
}

/** A launch's metadata: "Moon launch on 12 Mar 2027 from Spaceport America — Astro Bookings". */
export function launchPageMeta(launch: Launch): PageMeta {
  const heading = launchHeading(launch);
  const seats = launch.bookable ? `${seatsLeftLabel(launch.free_seats)}.` : 'Not on sale.';
  return {
    title: `${heading} — ${SITE_NAME}`,
    description: `${heading} aboard ${launch.rocket_name}: ${formatMoney(launch.price_per_seat_cents)} per seat. ${seats}`,
    path: `/launches/${encodeURIComponent(launch.id)}`,
  };
}

/** The metadata of a page that does not exist (an unknown launch or path). */
export function notFoundMeta(what: 'launch' | 'page'): PageMeta {
  return {
    title: `${what === 'launch' ? 'Launch' : 'Page'} not found — ${SITE_NAME}`,
    description: 'This page does not exist. See the launches with free seats instead.',
    path: null,
    noIndex: true,
  };
}

/** A launch's heading: "Moon launch on 12 Mar 2027 from Spaceport America" (the day at the spaceport). */
export function launchHeading(launch: Pick<Launch, 'destination' | 'departure_at' | 'spaceport'>): string {
  const day = formatDay(launch.departure_at, spaceportTimeZone(launch.spaceport));
  return `${destinationNoun(launch.destination)} launch on ${day} from ${launch.spaceport}`;
}
