/*
 * How every app shows money, departures, destinations and statuses. Pure
 * functions over the API's values, so that they read the same on the server
 * (SSR) and in the browser, and Jest checks them without a DOM.
 */

// en-US grouping with the ISO code ("EUR 250,000.00"): unambiguous for an
// international audience, and the same on every machine whatever its locale.
const MONEY = new Map<string, Intl.NumberFormat>();

/**
 * An amount of integer cents as `EUR 250,000.00`. The cents never go
 * through floating-point arithmetic: the decimal string is built from the
 * integer and handed to Intl as an exact decimal.
 */
export function formatMoney(cents: number, currency = 'EUR'): string {
  if (!Number.isSafeInteger(cents)) {
    throw new RangeError(`an amount of money must be whole cents, not ${cents}`);
  }
  let format = MONEY.get(currency);
  if (!format) {
    format = new Intl.NumberFormat('en-US', { style: 'currency', currency, currencyDisplay: 'code' });
    MONEY.set(currency, format);
  }
  const magnitude = BigInt(Math.abs(cents));
  const decimal = `${cents < 0 ? '-' : ''}${magnitude / 100n}.${String(magnitude % 100n).padStart(2, '0')}`;
  // Intl puts a no-break space between the code and the number; a plain
  // space keeps the text predictable to compare and to copy (CSS keeps it
  // on one line where that matters).
  return format.format(decimal as unknown as number).replace(/\u00a0/g, ' ');
}

/** Well-known spaceports and their IANA time zones, matched by a case-insensitive "contains". */
const SPACEPORT_ZONES: readonly (readonly [string, string])[] = [
  ['spaceport america', 'America/Denver'],
  ['kennedy space center', 'America/New_York'],
  ['cape canaveral', 'America/New_York'],
  ['vandenberg', 'America/Los_Angeles'],
  ['baikonur', 'Asia/Almaty'],
  ['guiana space centre', 'America/Cayenne'],
  ['guiana space center', 'America/Cayenne'],
  ['kourou', 'America/Cayenne'],
  ['tanegashima', 'Asia/Tokyo'],
  ['starbase', 'America/Chicago'],
  ['boca chica', 'America/Chicago'],
  ['jiuquan', 'Asia/Shanghai'],
];

/**
 * The IANA time zone of a spaceport named in free text, or `UTC` when the
 * name is not one of the well-known spaceports (a launch has no time-zone
 * field of its own).
 */
export function spaceportTimeZone(spaceport: string): string {
  const name = spaceport.toLowerCase();
  return SPACEPORT_ZONES.find(([key]) => name.includes(key))?.[1] ?? 'UTC';
}

// Month names of our own: ICU's en-GB abbreviations change between versions
// ("Sep" / "Sept"), and the server and the browser must render the same text.
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const PARTS = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock parts of `instant` in `timeZone`. */
function wallClock(instant: Date, timeZone: string) {
  let format = PARTS.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    PARTS.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((part) => [part.type, part.value]));
  const date = `${Number(parts['day'])} ${MONTHS[Number(parts['month']) - 1]} ${parts['year']}`;
  return { date, time: `${parts['hour']}:${parts['minute']}`, zone: parts['timeZoneName'] ?? timeZone };
}

function parseInstant(iso: string): Date {
  const instant = new Date(iso);
  if (Number.isNaN(instant.getTime())) {
    throw new RangeError(`not an instant: ${iso}`);
  }
  return instant;
}

/** The day of `iso` in `timeZone`, as `12 Mar 2027`. */
export function formatDay(iso: string, timeZone: string): string {
  return wallClock(parseInstant(iso), timeZone).date;
}

/** A departure, split for showing: at the spaceport, and for the viewer. */
export interface DepartureParts {
  /** At the spaceport: `12 Mar 2027, 09:30 MST`. */
  readonly local: string;
  /** The spaceport as the launch names it. */
  readonly spaceport: string;
  /**
   * In the viewer's time zone: `17:30`, with the day first when it is
   * another day (`13 Mar 2027, 01:30`); null when the viewer's zone is not
   * known (server-side rendering) or shows the same wall-clock time.
   */
  readonly viewer: string | null;
}

/**
 * A departure in the launch's time zone (from its spaceport) and in the
 * viewer's: `viewerTimeZone` is the browser's IANA zone, or null on the
 * server, which cannot know it.
 */
export function departureParts(iso: string, spaceport: string, viewerTimeZone: string | null): DepartureParts {
  const instant = parseInstant(iso);
  const there = wallClock(instant, spaceportTimeZone(spaceport));
  let viewer: string | null = null;
  if (viewerTimeZone) {
    const here = wallClock(instant, viewerTimeZone);
    if (here.date !== there.date) {
      viewer = `${here.date}, ${here.time}`;
    } else if (here.time !== there.time) {
      viewer = here.time;
    }
  }
  return { local: `${there.date}, ${there.time} ${there.zone}`, spaceport, viewer };
}

/**
 * A departure as one line: `12 Mar 2027, 09:30 MST (Spaceport America) ·
 * 17:30 in your time zone`.
 */
export function formatDeparture(iso: string, spaceport: string, viewerTimeZone: string | null): string {
  const parts = departureParts(iso, spaceport, viewerTimeZone);
  const where = `${parts.local} (${parts.spaceport})`;
  return parts.viewer ? `${where} · ${parts.viewer} in your time zone` : where;
}

const DESTINATIONS: Readonly<Record<string, string>> = {
  suborbital: 'Suborbital hop',
  low_earth_orbit: 'Low Earth orbit',
  moon: 'The Moon',
  mars: 'Mars',
};

/** A destination for people: `moon` → `The Moon`; an unknown one as the API names it. */
export function destinationLabel(destination: string): string {
  return DESTINATIONS[destination] ?? destination;
}

const STATUSES: Readonly<Record<string, string>> = {
  scheduled: 'Scheduled',
  confirmed: 'Confirmed',
  delayed: 'Delayed',
  launched: 'Launched',
  aborted: 'Aborted',
};

/** A launch status for people: `confirmed` → `Confirmed`; an unknown one as the API names it. */
export function launchStatusLabel(status: string): string {
  return STATUSES[status] ?? status;
}

const BOOKING_STATUSES: Readonly<Record<string, string>> = {
  active: 'Active',
  cancelled: 'Cancelled',
};

/** A booking status for people: `cancelled` → `Cancelled`; an unknown one as the API names it. */
export function bookingStatusLabel(status: string): string {
  return BOOKING_STATUSES[status] ?? status;
}

/** Free seats for people: `3 seats left`, `1 seat left`, `Sold out`. */
export function seatsLeftLabel(freeSeats: number): string {
  if (freeSeats <= 0) {
    return 'Sold out';
  }
  return freeSeats === 1 ? '1 seat left' : `${freeSeats} seats left`;
}
