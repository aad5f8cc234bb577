import { IdempotencyKeys } from './idempotency';

describe('the Idempotency-Key of a booking attempt', () => {
  const counter = () => {
    let n = 0;
    return () => `key-${++n}`;
  };
  const body = { passengers: [{ name: 'Ada', birth_date: '1985-12-10' }] };

  it('sends the same key again for a retry of the same booking', () => {
    const keys = new IdempotencyKeys(counter());
    expect(keys.keyFor(body)).toBe('key-1');
    expect(keys.keyFor(JSON.parse(JSON.stringify(body)))).toBe('key-1');
  });

  it('makes a new key once the booking changes', () => {
    const keys = new IdempotencyKeys(counter());
    keys.keyFor(body);
    expect(keys.keyFor({ passengers: [{ name: 'Ada L.', birth_date: '1985-12-10' }] })).toBe('key-2');
  });

  it('makes a new key for the next booking once one succeeded, even with the same passengers', () => {
    const keys = new IdempotencyKeys(counter());
    keys.keyFor(body);
    keys.reset();
    expect(keys.keyFor(body)).toBe('key-2');
  });

  it('uses random UUIDs by default', () => {
    const key = new IdempotencyKeys().keyFor(body);
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
