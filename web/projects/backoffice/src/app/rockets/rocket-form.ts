/** What the rocket form holds. */
export interface RocketFormValue {
  readonly name: string;
  readonly capacity: number | null;
}

/**
 * The rocket form's errors by the API's field names, mirroring the command
 * API's rules (a name of 1 to 100 characters, 1 to 10,000 seats) so that
 * the usual mistakes are caught before sending.
 */
export function rocketFormErrors(value: RocketFormValue): Readonly<Record<string, string>> {
  const errors: Record<string, string> = {};
  const name = value.name.trim();
  if (name === '') {
    errors['name'] = 'Enter the rocket’s name.';
  } else if (name.length > 100) {
    errors['name'] = 'Keep the name to 100 characters.';
  }
  if (value.capacity === null || !Number.isInteger(value.capacity) || value.capacity < 1 || value.capacity > 10_000) {
    errors['capacity'] = 'Enter a whole number of seats from 1 to 10,000.';
  }
  return errors;
}
