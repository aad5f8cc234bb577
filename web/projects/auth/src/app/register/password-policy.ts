/**
 * The auth API's password policy (auth/src/password.rs, `check_policy`),
 * mirrored for feedback as the user types. The server stays the authority:
 * its 422 is shown next to the field whatever this says.
 */

/** Fewest characters in a password. */
export const MIN_LENGTH = 12;
/** Most characters in a password. */
export const MAX_LENGTH = 256;

/** The same embedded list of common passwords as the server's, compared case-insensitively. */
const COMMON = new Set([
  '123456789012', '1234567890123', '12345678901234', '123456789abc', '1q2w3e4r5t6y', '1qaz2wsx3edc',
  '1qaz2wsx3edc4rfv', 'aaaaaaaaaaaa', 'abc123456789', 'abcdefghijkl', 'administrator', 'administrator1',
  'changeme1234', 'correcthorsebatterystaple', 'iloveyou1234', 'letmein12345', 'letmeinplease', 'password1234',
  'password12345', 'password123456', 'password1234!', 'passwordpassword', 'qazwsxedcrfv', 'qwerty123456',
  'qwertyuiop12', 'qwertyuiopasdf', 'qwertyuiopasdfgh', 'superman1234', 'trustno1trustno1', 'welcome12345',
  'welcome123456', 'iloveyouiloveyou', 'football1234', 'baseball1234', 'starwars1234', 'sunshine1234',
  'princess1234', 'dragon123456', 'monkey123456', 'master123456', '000000000000', '111111111111',
  '121212121212', '987654321098', 'zxcvbnm12345', 'asdfghjkl123', 'p@ssw0rd1234', 'p@ssword1234',
  'passw0rd1234', 'astrobookings', 'astrobookings1', 'astrobookings123', 'spacetravel123', 'rocketlaunch123',
]);

/** One rule of the policy and whether the password meets it. */
export interface PasswordRule {
  readonly code: 'length' | 'control' | 'too-common' | 'contains-email';
  readonly text: string;
  readonly met: boolean;
}

/** Unicode general category Cc, as Rust's `char::is_control`. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

/** Every rule of the policy for `password` (of the account `email`), met or not. */
export function passwordRules(password: string, email: string): PasswordRule[] {
  // Characters, not UTF-16 units, as the server counts them.
  const length = [...password].length;
  const lowered = password.toLowerCase();
  const local = (email.split('@')[0] ?? '').toLowerCase();
  return [
    { code: 'length', text: `${MIN_LENGTH} to ${MAX_LENGTH} characters`, met: length >= MIN_LENGTH && length <= MAX_LENGTH },
    { code: 'control', text: 'No control characters (such as tabs)', met: !CONTROL.test(password) },
    { code: 'too-common', text: 'Not one of the most common passwords', met: !COMMON.has(lowered) },
    {
      code: 'contains-email',
      text: 'Does not contain the name of your email address',
      met: [...local].length < 3 || !lowered.includes(local),
    },
  ];
}

/** Whether `password` meets every rule. */
export function passwordAcceptable(password: string, email: string): boolean {
  return passwordRules(password, email).every((rule) => rule.met);
}
