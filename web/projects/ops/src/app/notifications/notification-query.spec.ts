import {
  DEFAULT_QUERY,
  NotificationQuery,
  PAGE_SIZE,
  filterFormValue,
  isBookingId,
  pageCount,
  parseNotificationQuery,
  queryFromForm,
  sameQuery,
  serializeNotificationQuery,
  toDeadCountParams,
  toListParams,
  toRetryParams,
} from './notification-query';

const BOOKING = '0190a000-0000-7000-8000-0000000000aa';

const full: NotificationQuery = {
  status: 'dead',
  recipient: 'ada@example.com',
  bookingId: BOOKING,
  from: '2027-01-01',
  to: '2027-01-31',
  page: 3,
};

describe('parseNotificationQuery', () => {
  it('reads every filter and the page from the URL', () => {
    expect(
      parseNotificationQuery({
        status: 'dead',
        recipient: 'ada@example.com',
        booking: BOOKING,
        from: '2027-01-01',
        to: '2027-01-31',
        page: '3',
      }),
    ).toEqual(full);
  });

  it('gives every notification on page 1 for a URL without parameters', () => {
    expect(parseNotificationQuery({})).toEqual(DEFAULT_QUERY);
  });

  it('drops a status, booking id, day or page it cannot use', () => {
    expect(
      parseNotificationQuery({ status: 'lost', booking: 'not-a-uuid', from: '2027-02-30', page: '0' }),
    ).toEqual(DEFAULT_QUERY);
    expect(parseNotificationQuery({ page: '10001' }).page).toBe(1);
    expect(parseNotificationQuery({ page: '-2' }).page).toBe(1);
  });

  it('drops a recipient the API would refuse (control characters, too long)', () => {
    expect(parseNotificationQuery({ recipient: 'ada\u0000@example.com' }).recipient).toBeNull();
    expect(parseNotificationQuery({ recipient: `${'a'.repeat(320)}@x` }).recipient).toBeNull();
    expect(parseNotificationQuery({ recipient: ' ada@example.com ' }).recipient).toBe('ada@example.com');
  });

  it('drops an end day before the start day, keeping the start', () => {
    expect(parseNotificationQuery({ from: '2027-05-02', to: '2027-05-01' })).toMatchObject({ from: '2027-05-02', to: null });
  });

  it('takes the first of a repeated parameter and lower-cases a booking id', () => {
    expect(parseNotificationQuery({ status: ['failed', 'dead'], booking: BOOKING.toUpperCase() })).toMatchObject({
      status: 'failed',
      bookingId: BOOKING,
    });
  });
});

describe('serializeNotificationQuery', () => {
  it('writes every value that is not a default, and round-trips', () => {
    expect(serializeNotificationQuery(full)).toEqual({
      status: 'dead',
      recipient: 'ada@example.com',
      booking: BOOKING,
      from: '2027-01-01',
      to: '2027-01-31',
      page: '3',
    });
    expect(parseNotificationQuery(serializeNotificationQuery(full))).toEqual(full);
  });

  it('leaves the defaults out of the URL', () => {
    expect(serializeNotificationQuery(DEFAULT_QUERY)).toEqual({});
  });

  it('tells equal states from different ones', () => {
    expect(sameQuery(full, { ...full })).toBe(true);
    expect(sameQuery(full, { ...full, page: 1 })).toBe(false);
  });
});

describe('the query API parameters', () => {
  it("asks for the state's page with the API's names", () => {
    expect(toListParams(full)).toEqual({
      status: 'dead',
      recipient: 'ada@example.com',
      booking_id: BOOKING,
      from: '2027-01-01',
      to: '2027-01-31',
      page: 3,
      page_size: PAGE_SIZE,
    });
    expect(toListParams(DEFAULT_QUERY)).toEqual({ page: 1, page_size: PAGE_SIZE });
  });

  it('counts and re-queues the dead ones of the same filters, whatever status the list shows', () => {
    const sentOnes = { ...full, status: 'sent' as const };
    expect(toDeadCountParams(sentOnes)).toEqual({
      status: 'dead',
      recipient: 'ada@example.com',
      booking_id: BOOKING,
      from: '2027-01-01',
      to: '2027-01-31',
      page: 1,
      page_size: 1,
    });
    expect(toRetryParams(sentOnes)).toEqual({
      status: 'dead',
      recipient: 'ada@example.com',
      booking_id: BOOKING,
      from: '2027-01-01',
      to: '2027-01-31',
    });
  });

  it('counts pages of 20, at least one', () => {
    expect([0, 20, 21].map(pageCount)).toEqual([1, 1, 2]);
  });
});

describe('the filter form', () => {
  it('fills the form from a state and reads it back on page 1', () => {
    expect(filterFormValue(DEFAULT_QUERY)).toEqual({ status: '', recipient: '', bookingId: '', from: '', to: '' });
    expect(queryFromForm(filterFormValue(full))).toEqual({ ...full, page: 1 });
  });

  it('accepts an empty or UUID booking id only', () => {
    expect(isBookingId('')).toBe(true);
    expect(isBookingId(BOOKING)).toBe(true);
    expect(isBookingId('1234')).toBe(false);
  });
});
