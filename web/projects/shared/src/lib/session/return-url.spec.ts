import { safeReturnUrl } from './return-url';

describe('the return URL after sign-in', () => {
  it('keeps a path of the app with its query and fragment', () => {
    expect(safeReturnUrl('/bookings?page=2#latest')).toBe('/bookings?page=2#latest');
  });

  it.each([
    ['an absolute URL', 'https://evil.example/phish'],
    ['a protocol-relative URL', '//evil.example/phish'],
    ['a backslash that browsers read as a slash', '/\\evil.example'],
    ['a backslash further on', '/a\\..\\\\evil.example'],
    ['a script URL', 'javascript:alert(1)'],
    ['a relative path', 'bookings'],
    ['a tab hidden in the slashes', '/\t/evil.example'],
    ['nothing', undefined],
    ['not a string', 42],
  ])('turns %s into the home page', (_what, value) => {
    expect(safeReturnUrl(value)).toBe('/');
  });

  it('uses the fallback given', () => {
    expect(safeReturnUrl('https://evil.example', '/launches')).toBe('/launches');
  });

  it('normalizes dot segments without leaving the app', () => {
    expect(safeReturnUrl('/a/../../profile')).toBe('/profile');
  });
});
