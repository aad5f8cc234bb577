/**
 * One `Idempotency-Key` per booking attempt. An attempt is one request body:
 * as long as the form says the same thing, every send (a double click, a
 * retry after a network error) carries the same key, so the server books
 * once; once the body changes, it is a new attempt with a new key (the
 * server refuses an old key with another body).
 */
export class IdempotencyKeys {
  private current: { readonly fingerprint: string; readonly key: string } | null = null;

  /** @param newKey makes a fresh key; `crypto.randomUUID` in the app. */
  constructor(private readonly newKey: () => string = () => crypto.randomUUID()) {}

  /** The key for sending `body`: the last one while the body is unchanged. */
  keyFor(body: unknown): string {
    const fingerprint = JSON.stringify(body);
    if (this.current?.fingerprint !== fingerprint) {
      this.current = { fingerprint, key: this.newKey() };
    }
    return this.current.key;
  }

  /** Ends the attempt (after a booking succeeded): the next send is a new booking. */
  reset(): void {
    this.current = null;
  }
}
