import { canCancel, holderRefundPercent, refundCents, refundPreview, wholeDaysBefore } from './refund-policy';

const DAY = 86_400_000;
const departure = '2031-01-01T00:00:00Z';
const before = (ms: number) => new Date(Date.parse(departure) - ms);

describe('the refund policy', () => {
  it('refunds 90 % exactly 365 days before departure', () => {
    expect(holderRefundPercent(departure, before(365 * DAY))).toBe(90);
  });

  it('refunds 70 % a millisecond later, when not 365 whole days are left', () => {
    expect(holderRefundPercent(departure, before(365 * DAY - 1))).toBe(70);
  });

  it('refunds 70 % exactly 90 days before departure', () => {
    expect(holderRefundPercent(departure, before(90 * DAY))).toBe(70);
  });

  it('refunds nothing a millisecond later, when not 90 whole days are left', () => {
    expect(holderRefundPercent(departure, before(90 * DAY - 1))).toBe(0);
  });

  it('refunds nothing on the last day and after departure', () => {
    expect(holderRefundPercent(departure, before(1))).toBe(0);
    expect(holderRefundPercent(departure, before(-DAY))).toBe(0);
  });

  it('counts whole days in UTC, whatever zone the departure is written in', () => {
    expect(wholeDaysBefore('2031-01-01T01:00:00+01:00', before(365 * DAY))).toBe(365);
    expect(wholeDaysBefore(departure, before(DAY + 1))).toBe(1);
    expect(wholeDaysBefore(departure, before(-DAY + 1))).toBe(0);
  });

  it('rounds the refund down to the cent', () => {
    expect(refundCents(50_000_000, 90)).toBe(45_000_000);
    expect(refundCents(50_000_000, 70)).toBe(35_000_000);
    expect(refundCents(333, 70)).toBe(233);
    expect(refundCents(999, 0)).toBe(0);
  });

  it('previews a full refund when the launch was aborted', () => {
    expect(refundPreview({ total_cents: 1234 }, { departure_at: departure, status: 'aborted' }, before(DAY))).toEqual({
      percent: 100,
      cents: 1234,
    });
  });

  it('previews the policy’s refund otherwise', () => {
    expect(
      refundPreview({ total_cents: 50_000_000 }, { departure_at: departure, status: 'confirmed' }, before(400 * DAY)),
    ).toEqual({ percent: 90, cents: 45_000_000 });
  });
});

describe('who may cancel', () => {
  const now = before(100 * DAY);
  const launch = { departure_at: departure, status: 'confirmed' };

  it('lets the holder cancel an active booking on a launch on sale', () => {
    for (const status of ['scheduled', 'confirmed', 'delayed']) {
      expect(canCancel({ status: 'active' }, { ...launch, status }, now)).toBe(true);
    }
  });

  it('does not offer to cancel a cancelled booking, a flown or aborted launch, or after departure', () => {
    expect(canCancel({ status: 'cancelled' }, launch, now)).toBe(false);
    expect(canCancel({ status: 'active' }, { ...launch, status: 'launched' }, now)).toBe(false);
    expect(canCancel({ status: 'active' }, { ...launch, status: 'aborted' }, now)).toBe(false);
    expect(canCancel({ status: 'active' }, launch, new Date(departure))).toBe(false);
    expect(canCancel({ status: 'active' }, null, now)).toBe(false);
  });
});
