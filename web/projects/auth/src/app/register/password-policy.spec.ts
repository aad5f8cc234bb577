import { passwordAcceptable, passwordRules } from './password-policy';

const unmet = (password: string, email = 'ada@example.com') =>
  passwordRules(password, email)
    .filter((rule) => !rule.met)
    .map((rule) => rule.code);

describe('the password policy, as the server has it', () => {
  it('accepts a long uncommon password', () => {
    expect(unmet('orbital-tangerine-42')).toEqual([]);
    expect(passwordAcceptable('orbital-tangerine-42', 'ada@example.com')).toBe(true);
  });

  it('counts the length in characters, 12 to 256', () => {
    expect(unmet('short-pass')).toEqual(['length']);
    expect(unmet('ñññññññññññç')).toEqual([]);
    expect(unmet('🚀'.repeat(12))).toEqual([]);
    expect(unmet('x'.repeat(257))).toEqual(['length']);
    expect(unmet('xy'.repeat(128))).toEqual([]);
  });

  it('refuses the common passwords in any case', () => {
    expect(unmet('Password1234')).toEqual(['too-common']);
    expect(unmet('QWERTY123456')).toEqual(['too-common']);
  });

  it('refuses a password containing the email name of 3 characters or more', () => {
    expect(unmet('my-name-is-LOVELACE!', 'lovelace@example.com')).toEqual(['contains-email']);
    expect(unmet('a-perfectly-fine-one', 'a@example.com')).toEqual([]);
  });

  it('refuses control characters', () => {
    expect(unmet('orbital\ttangerine-42')).toEqual(['control']);
    expect(unmet('orbital\u0085tangerine-42')).toEqual(['control']);
  });
});
