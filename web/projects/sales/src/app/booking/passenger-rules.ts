/**
 * The booking rules the command API enforces, mirrored so that the form can
 * say what is wrong before anything is sent. The server stays the authority:
 * these rules only spare a round trip. Sources: domain/src/policy.rs (ages,
 * passenger count), domain/src/text.rs (control characters, trimming,
 * length in characters) and command-api/src/routes/bookings.rs (name limit,
 * email shape).
 */

/** Fewest passengers (one seat each) in a booking. */
export const MIN_PASSENGERS = 1;
/** Most passengers in a booking (`MAX_PASSENGERS_PER_BOOKING`). */
export const MAX_PASSENGERS = 6;
/** Youngest age allowed at departure. */
export const MIN_PASSENGER_AGE = 18;
/** Oldest age allowed at departure. */
export const MAX_PASSENGER_AGE = 70;
/** Longest passenger name, in characters (code points) once trimmed. */
export const MAX_PASSENGER_NAME_CHARS = 200;
/** Longest email, in characters once trimmed and lower-cased. */
export const MAX_EMAIL_CHARS = 254;

/** One passenger row of the booking form, as typed. */
export interface PassengerInput {
  readonly name: string;
  /** `YYYY-MM-DD` as an `<input type="date">` gives it, or empty. */
  readonly birthDate: string;
  /** Optional; empty when not given. */
  readonly email: string;
}

/** A passenger as the booking request carries it (trimmed; no empty email). */
export interface PassengerPayload {
  readonly name: string;
  readonly birth_date: string;
  readonly email?: string;
}

// The whitespace the server trims: the OpenAPI patterns' set (Unicode
// White_Space minus the controls, which are refused anyway).
const SPACE = '\\u0020\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const EDGE_SPACE = new RegExp(`^[${SPACE}]+|[${SPACE}]+$`, 'g');
const ANY_SPACE = new RegExp(`[${SPACE}\\u0009-\\u000D\\u0085]`);
// Unicode general category Cc, as Rust's `char::is_control`.
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Trims the whitespace the server trims (not U+FEFF, which it keeps). */
export function trimText(value: string): string {
  return value.replace(EDGE_SPACE, '');
}

/** The length in characters (code points), as Rust's `chars().count()`. */
export function charCount(value: string): number {
  return [...value].length;
}

/** Whether `value` holds a control character anywhere, even at its edges. */
export function hasControl(value: string): boolean {
  return CONTROL.test(value);
}

/** A calendar date of `YYYY-MM-DD`, or null when it is not one (2026-02-30). */
export interface CalendarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** Parses `YYYY-MM-DD` strictly; null for anything else or an impossible day. */
export function parseDate(value: string): CalendarDate | null {
  const match = ISO_DATE.exec(value);
  if (!match) {
    return null;
  }
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const check = new Date(Date.UTC(year, month - 1, day));
  check.setUTCFullYear(year);
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return null;
  }
  return { year, month, day };
}

/** The UTC calendar day of an instant: the day the server checks ages on. */
export function utcDate(instant: string | Date): CalendarDate {
  const date = typeof instant === 'string' ? new Date(instant) : instant;
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

/**
 * Age in whole years on `on`. Someone born on 29 February turns a year older
 * on 1 March in years without one (as `policy::age_on`).
 */
export function ageOn(birth: CalendarDate, on: CalendarDate): number {
  const years = on.year - birth.year;
  const beforeBirthday = on.month < birth.month || (on.month === birth.month && on.day < birth.day);
  return beforeBirthday ? years - 1 : years;
}

/** Whether `email` (already trimmed and lower-cased) has the shape the server accepts. */
export function plausibleEmail(email: string): boolean {
  const at = email.indexOf('@');
  if (at < 0) {
    return false;
  }
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  return (
    local.length > 0 &&
    domain.includes('.') &&
    !domain.startsWith('.') &&
    !domain.endsWith('.') &&
    !ANY_SPACE.test(email) &&
    charCount(email) <= MAX_EMAIL_CHARS
  );
}

/** The message for a passenger's name, or null when the server accepts it. */
export function nameError(name: string): string | null {
  if (hasControl(name)) {
    return 'The name contains a character that cannot be used (such as a tab or line break).';
  }
  const trimmed = trimText(name);
  if (trimmed === '') {
    return 'Enter the passenger’s full name.';
  }
  if (charCount(trimmed) > MAX_PASSENGER_NAME_CHARS) {
    return `The name can be at most ${MAX_PASSENGER_NAME_CHARS} characters long.`;
  }
  return null;
}

/**
 * The message for a date of birth, or null when the passenger is 18 to 70
 * years old on the departure day (the UTC date of `departureAt`).
 */
export function birthDateError(birthDate: string, departureAt: string | Date): string | null {
  if (birthDate.trim() === '') {
    return 'Enter the date of birth.';
  }
  const birth = parseDate(birthDate);
  if (!birth) {
    return 'Enter a real date, like 1990-12-10.';
  }
  const age = ageOn(birth, utcDate(departureAt));
  if (age < MIN_PASSENGER_AGE) {
    return `Passengers must be at least ${MIN_PASSENGER_AGE} on the departure day; this one would be ${Math.max(age, 0)}.`;
  }
  if (age > MAX_PASSENGER_AGE) {
    return `Passengers can be at most ${MAX_PASSENGER_AGE} on the departure day; this one would be ${age}.`;
  }
  return null;
}

/** The message for an optional email, or null when it is empty or acceptable. */
export function emailError(email: string): string | null {
  if (hasControl(email)) {
    return 'The email contains a character that cannot be used.';
  }
  const normalized = trimText(email).toLowerCase();
  if (normalized === '') {
    return null;
  }
  if (charCount(normalized) > MAX_EMAIL_CHARS) {
    return `The email can be at most ${MAX_EMAIL_CHARS} characters long.`;
  }
  if (!plausibleEmail(normalized)) {
    return 'Enter an email like name@example.com, or leave it empty.';
  }
  return null;
}

/**
 * Every problem of a booking form, keyed by the field paths the server uses
 * in its 422 (`passengers`, `passengers[1].birth_date`), so that client and
 * server errors are shown the same way. Empty when the booking can be sent.
 */
export function bookingErrors(
  passengers: readonly PassengerInput[],
  departureAt: string | Date,
): Readonly<Record<string, string>> {
  const errors: Record<string, string> = {};
  if (passengers.length < MIN_PASSENGERS) {
    errors['passengers'] = 'Add at least one passenger.';
  } else if (passengers.length > MAX_PASSENGERS) {
    errors['passengers'] = `A booking holds at most ${MAX_PASSENGERS} passengers.`;
  }
  passengers.forEach((passenger, index) => {
    const checks: [string, string | null][] = [
      ['name', nameError(passenger.name)],
      ['birth_date', birthDateError(passenger.birthDate, departureAt)],
      ['email', emailError(passenger.email)],
    ];
    for (const [field, message] of checks) {
      if (message) {
        errors[`passengers[${index}].${field}`] = message;
      }
    }
  });
  return errors;
}

/** The passengers as the request sends them: trimmed, without an empty email. */
export function toPassengerPayload(passengers: readonly PassengerInput[]): PassengerPayload[] {
  return passengers.map((passenger) => {
    const email = trimText(passenger.email);
    return {
      name: trimText(passenger.name),
      birth_date: passenger.birthDate,
      ...(email === '' ? {} : { email }),
    };
  });
}
