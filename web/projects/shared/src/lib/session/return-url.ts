/**
 * Where a sign-in may send the user back to: a path of this app only.
 * Anything else (an absolute URL, `//host`, `/\host`, `javascript:`)
 * becomes `fallback`, so that a crafted link can never turn the sign-in
 * into an open redirect.
 */
export function safeReturnUrl(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) {
    return fallback;
  }
  // Browsers read a backslash as a slash and drop tabs and newlines in URLs.
  if (/[\\\u0000-\u001f\u007f]/.test(value)) {
    return fallback;
  }
  const base = 'http://app.invalid';
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return fallback;
  }
  if (url.origin !== base) {
    return fallback;
  }
  return `${url.pathname}${url.search}${url.hash}`;
}
