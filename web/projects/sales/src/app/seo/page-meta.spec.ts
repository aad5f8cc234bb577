import type { Launch } from '@astro/shared/api/query-api/models/launch';

import { DEFAULT_QUERY } from '../launches/launch-query';
import { destinationNoun, launchHeading, launchPageMeta, listPageMeta, notFoundMeta } from './page-meta';

const launch: Launch = {
  id: '0b6f3a52-7c1d-4e1e-9a57-0d3a5c2b9e11',
  rocket_id: 'r',
  rocket_name: 'Selene IV',
  destination: 'moon',
  spaceport: 'Spaceport America',
  departure_at: '2027-03-12T16:30:00Z',
  price_per_seat_cents: 25_000_000,
  capacity: 10,
  free_seats: 3,
  seats_booked: 7,
  status: 'confirmed',
  bookable: true,
  version: 4,
};

describe('launchPageMeta', () => {
  it('titles a launch by destination, day at the spaceport and spaceport', () => {
    expect(launchPageMeta(launch).title).toBe('Moon launch on 12 Mar 2027 from Spaceport America — Astro Bookings');
  });

  it('describes the rocket, the price and the seats left', () => {
    expect(launchPageMeta(launch).description).toBe(
      'Moon launch on 12 Mar 2027 from Spaceport America aboard Selene IV: EUR 250,000.00 per seat. 3 seats left.',
    );
  });

  it("says a launch that does not sell seats is not on sale", () => {
    expect(launchPageMeta({ ...launch, bookable: false }).description).toMatch(/Not on sale\.$/);
  });

  it("gives the launch's own page as canonical path", () => {
    expect(launchPageMeta(launch).path).toBe('/launches/0b6f3a52-7c1d-4e1e-9a57-0d3a5c2b9e11');
  });

  it("takes the day at the spaceport, not in UTC", () => {
    expect(launchHeading({ ...launch, departure_at: '2027-03-13T03:00:00Z' })).toBe(
      'Moon launch on 12 Mar 2027 from Spaceport America',
    );
  });
});

describe('listPageMeta', () => {
  it('titles the plain list and makes the home page canonical', () => {
    expect(listPageMeta(DEFAULT_QUERY)).toEqual({
      title: 'Space launches with free seats — Astro Bookings',
      description: 'Book seats on space launches: suborbital hops, low Earth orbit, the Moon and Mars.',
      path: '/',
    });
  });

  it('names the destination and the page, and keeps the state in the canonical path', () => {
    const meta = listPageMeta({ ...DEFAULT_QUERY, destination: 'mars', page: 2 });
    expect(meta.title).toBe('Mars launches with free seats (page 2) — Astro Bookings');
    expect(meta.path).toBe('/?destination=mars&page=2');
  });
});

describe('notFoundMeta and destinationNoun', () => {
  it('keeps not-found pages out of the index, without a canonical link', () => {
    expect(notFoundMeta('launch')).toMatchObject({ title: 'Launch not found — Astro Bookings', path: null, noIndex: true });
    expect(notFoundMeta('page').title).toBe('Page not found — Astro Bookings');
  });

  it('names destinations as a title word', () => {
    expect(destinationNoun('low_earth_orbit')).toBe('Low Earth orbit');
    expect(destinationNoun('suborbital')).toBe('Suborbital');
    expect(destinationNoun('venus')).toBe('venus');
  });
});
