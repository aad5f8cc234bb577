import { actionsFor, isoToLocal, localToIso, outcomeMessage, refundedLabel, refusalMessage } from './launch-actions';

describe('launch actions', () => {
  it('offers confirm, delay and abort for a scheduled or delayed launch', () => {
    expect(actionsFor('scheduled')).toEqual(['confirm', 'delay', 'abort']);
    expect(actionsFor('delayed')).toEqual(['confirm', 'delay', 'abort']);
  });

  it('offers mark launched instead of confirm once confirmed', () => {
    expect(actionsFor('confirmed')).toEqual(['launched', 'delay', 'abort']);
  });

  it('offers nothing once a launch has flown or was aborted', () => {
    expect(actionsFor('launched')).toEqual([]);
    expect(actionsFor('aborted')).toEqual([]);
    expect(actionsFor('unknown')).toEqual([]);
  });

  it('counts the bookings an abort refunded', () => {
    expect(refundedLabel(0)).toBe('No booking to refund.');
    expect(refundedLabel(1)).toBe('1 booking refunded in full.');
    expect(refundedLabel(3)).toBe('3 bookings refunded in full.');
    expect(outcomeMessage('abort', { refunded_bookings: 1 })).toBe('Launch aborted. 1 booking refunded in full.');
    expect(outcomeMessage('confirm', { refunded_bookings: 0 })).toBe('Launch confirmed.');
  });

  it("explains a 409 with the server's detail", () => {
    expect(refusalMessage('launched', { status: 409, detail: 'The launch has not departed yet.' })).toBe(
      'This launch cannot be marked launched now: The launch has not departed yet.',
    );
  });

  it('says a missing launch and a forbidden command in words, and passes any other detail on', () => {
    expect(refusalMessage('abort', { status: 404, detail: 'x' })).toContain('no longer exists');
    expect(refusalMessage('abort', { status: 403, detail: 'x' })).toContain('Only operations employees');
    expect(refusalMessage('abort', { status: 503, detail: 'Try again shortly.' })).toBe('Try again shortly.');
  });

  it('turns a datetime-local value into UTC and back', () => {
    const iso = localToIso('2027-03-12T09:30');
    expect(iso).toBe(new Date(2027, 2, 12, 9, 30).toISOString());
    expect(isoToLocal(iso!)).toBe('2027-03-12T09:30');
  });

  it('refuses what is not a datetime-local value', () => {
    expect(localToIso('')).toBeNull();
    expect(localToIso('12/03/2027 09:30')).toBeNull();
    expect(localToIso('2027-13-45T99:99')).toBeNull();
    expect(isoToLocal('nope')).toBe('');
  });
});
