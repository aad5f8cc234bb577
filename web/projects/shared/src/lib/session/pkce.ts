/**
 * PKCE (RFC 7636) and `state` for the authorization code flow: the verifier
 * never leaves the browser until the code is exchanged, so a code stolen on
 * its way back (history, logs, a referrer) is worthless on its own.
 */

/** The unreserved characters of RFC 3986 that a code verifier may use. */
const UNRESERVED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';

/** Bytes as base64url without padding (RFC 4648 §5). */
export function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * `length` characters (43 to 128) drawn uniformly from the unreserved set
 * with the platform's cryptographic random numbers.
 */
export function randomVerifier(length = 64, random: Crypto = globalThis.crypto): string {
  if (length < 43 || length > 128) {
    throw new RangeError('a PKCE code verifier has 43 to 128 characters');
  }
  let verifier = '';
  // Rejection sampling: 66 symbols do not divide 256, so bytes of 198 and
  // above are drawn again to keep every symbol equally likely.
  const limit = 256 - (256 % UNRESERVED.length);
  while (verifier.length < length) {
    for (const byte of random.getRandomValues(new Uint8Array(length))) {
      if (byte < limit && verifier.length < length) {
        verifier += UNRESERVED[byte % UNRESERVED.length];
      }
    }
  }
  return verifier;
}

/** The S256 code challenge of `verifier`: base64url(SHA-256(ASCII(verifier))). */
export async function s256Challenge(verifier: string, random: Crypto = globalThis.crypto): Promise<string> {
  const digest = await random.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

/** An unguessable `state` (128 bits, base64url) binding a callback to the sign-in that asked for it. */
export function randomState(random: Crypto = globalThis.crypto): string {
  return base64Url(random.getRandomValues(new Uint8Array(16)));
}
