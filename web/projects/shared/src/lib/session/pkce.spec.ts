import { base64Url, randomState, randomVerifier, s256Challenge } from './pkce';
import { installWebCrypto } from './testing/sign-on-testing';

describe('PKCE', () => {
  beforeAll(installWebCrypto);

  // RFC 7636 appendix B, verbatim: verifier "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".
  it('derives the S256 challenge of RFC 7636 appendix B from its verifier', async () => {
    await expect(s256Challenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).resolves.toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('gives another challenge for a verifier one character off', async () => {
    await expect(s256Challenge('dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk')).resolves.not.toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('encodes bytes as base64url without padding', () => {
    expect(base64Url(new Uint8Array([0xfb, 0xff, 0xfe]))).toBe('-__-');
    expect(base64Url(new Uint8Array([1]))).toBe('AQ');
  });

  it('makes verifiers of the unreserved characters, 64 long by default', () => {
    const verifier = randomVerifier();
    expect(verifier).toMatch(/^[A-Za-z0-9\-._~]{64}$/);
    expect(randomVerifier(43)).toHaveLength(43);
  });

  it('refuses verifier lengths outside 43 to 128', () => {
    expect(() => randomVerifier(42)).toThrow(RangeError);
    expect(() => randomVerifier(129)).toThrow(RangeError);
  });

  it('never repeats a verifier or a state', () => {
    const verifiers = new Set(Array.from({ length: 50 }, () => randomVerifier()));
    const states = new Set(Array.from({ length: 50 }, () => randomState()));
    expect(verifiers.size).toBe(50);
    expect(states.size).toBe(50);
  });

  it('makes states of 128 random bits in base64url', () => {
    expect(randomState()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
