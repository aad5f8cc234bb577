/*
 * The schedule form's rules, mirroring the command API's (a rocket, a
 * spaceport of 1 to 100 characters, a departure in the future, a price of
 * EUR 0.01 to EUR 10,000,000) so that the usual mistakes show before sending.
 */
import type { ScheduleLaunch } from '@astro/shared/api/command-api/models/schedule-launch';

import { eurosToCents, priceError } from '../money/euros';
import { localToIso } from './launch-actions';

/** The picker's value for "a rocket not in the list: type its id". */
export const OTHER_ROCKET = '__other';

/** What the schedule form holds. */
export interface ScheduleFormValue {
  /** A rocket id from the picker, or OTHER_ROCKET. */
  readonly rocket: string;
  /** The id typed when the picker says OTHER_ROCKET. */
  readonly rocketId: string;
  readonly spaceport: string;
  readonly destination: ScheduleLaunch['destination'];
  /** A `datetime-local` value. */
  readonly departure: string;
  /** Euros as typed. */
  readonly price: string;
}

/** The rocket the form names: the picked one, or the typed id. */
export function chosenRocketId(value: Pick<ScheduleFormValue, 'rocket' | 'rocketId'>): string {
  return (value.rocket === OTHER_ROCKET ? value.rocketId : value.rocket).trim();
}

/** The form's errors by the API's field names (`rocket_id`, `departure_at`, …). */
export function scheduleErrors(value: ScheduleFormValue, now: Date): Readonly<Record<string, string>> {
  const errors: Record<string, string> = {};
  if (chosenRocketId(value) === '') {
    errors['rocket_id'] = 'Choose a rocket, or enter the id of a registered one.';
  }
  const spaceport = value.spaceport.trim();
  if (spaceport === '') {
    errors['spaceport'] = 'Enter the spaceport the launch departs from.';
  } else if (spaceport.length > 100) {
    errors['spaceport'] = 'Keep the spaceport to 100 characters.';
  }
  const departure = localToIso(value.departure);
  if (departure === null) {
    errors['departure_at'] = 'Enter the departure date and time.';
  } else if (Date.parse(departure) <= now.getTime()) {
    errors['departure_at'] = 'The departure must be in the future.';
  }
  const price = priceError(value.price);
  if (price !== null) {
    errors['price_per_seat_cents'] = price;
  }
  return errors;
}

/** The command API's body for the form, or null when a field cannot be converted. */
export function toScheduleLaunch(value: ScheduleFormValue): ScheduleLaunch | null {
  const departure = localToIso(value.departure);
  const cents = eurosToCents(value.price);
  if (departure === null || cents === null) {
    return null;
  }
  return {
    rocket_id: chosenRocketId(value),
    spaceport: value.spaceport.trim(),
    destination: value.destination,
    departure_at: departure,
    price_per_seat_cents: cents,
  };
}
