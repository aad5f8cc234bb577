import {
  bookingStatusLabel,
  departureParts,
  destinationLabel,
  formatDay,
  formatDeparture,
  formatMoney,
  launchStatusLabel,
  seatsLeftLabel,
  spaceportTimeZone,
} from './format';

describe('formatMoney', () => {
  it('shows cents as the currency code and an en-US amount with two decimals', () => {
    expect(formatMoney(25_000_000)).toBe('EUR 250,000.00');
  });

  it('keeps the cents of an amount that is not whole euros', () => {
    expect(formatMoney(123_456_789)).toBe('EUR 1,234,567.89');
    expect(formatMoney(123_456_789_01)).toBe('EUR 123,456,789.01');
    expect(formatMoney(5)).toBe('EUR 0.05');
    expect(formatMoney(0)).toBe('EUR 0.00');
  });

  it('separates the code from the amount with a plain space', () => {
    expect(formatMoney(100)).toBe('EUR\u00201.00');
  });

  it('shows a negative amount with its sign', () => {
    expect(formatMoney(-1_050)).toBe('-EUR 10.50');
  });

  it('stays exact for amounts a float would round', () => {
    expect(formatMoney(Number.MAX_SAFE_INTEGER)).toBe('EUR 90,071,992,547,409.91');
  });

  it('shows another currency by its code', () => {
    expect(formatMoney(99_999, 'USD')).toBe('USD 999.99');
  });

  it('refuses fractional cents', () => {
    expect(() => formatMoney(10.5)).toThrow(RangeError);
    expect(() => formatMoney(Number.NaN)).toThrow(RangeError);
  });
});

describe('spaceportTimeZone', () => {
  it.each([
    ['Spaceport America', 'America/Denver'],
    ['Kennedy Space Center LC-39A', 'America/New_York'],
    ['Cape Canaveral SLC-40', 'America/New_York'],
    ['Vandenberg SFB', 'America/Los_Angeles'],
    ['Baikonur Cosmodrome', 'Asia/Almaty'],
    ['Guiana Space Centre', 'America/Cayenne'],
    ['Kourou', 'America/Cayenne'],
    ['Tanegashima Space Center', 'Asia/Tokyo'],
    ['Starbase', 'America/Chicago'],
    ['Boca Chica, Texas', 'America/Chicago'],
    ['Jiuquan Satellite Launch Center', 'Asia/Shanghai'],
  ])('finds the time zone of %s', (spaceport, zone) => {
    expect(spaceportTimeZone(spaceport)).toBe(zone);
  });

  it('matches whatever the case of the name', () => {
    expect(spaceportTimeZone('SPACEPORT AMERICA')).toBe('America/Denver');
    expect(spaceportTimeZone('the kourou launch base')).toBe('America/Cayenne');
  });

  it('falls back to UTC for a spaceport it does not know', () => {
    expect(spaceportTimeZone('Sea Launch platform')).toBe('UTC');
    expect(spaceportTimeZone('')).toBe('UTC');
  });
});

describe('departureParts and formatDeparture', () => {
  // 16:30 UTC: 09:30 in Denver (MST, UTC-7) and 17:30 in Paris (CET, UTC+1).
  const winter = '2027-03-12T16:30:00Z';

  it("shows the departure in the spaceport's zone and in the viewer's", () => {
    expect(formatDeparture(winter, 'Spaceport America', 'Europe/Paris')).toBe(
      '12 Mar 2027, 09:30 MST (Spaceport America) · 17:30 in your time zone',
    );
  });

  it("names daylight-saving time when the spaceport's zone is on it", () => {
    // 16:30 UTC in July: 10:30 MDT (UTC-6) in Denver, 18:30 CEST in Paris.
    expect(formatDeparture('2027-07-12T16:30:00Z', 'Spaceport America', 'Europe/Paris')).toBe(
      '12 Jul 2027, 10:30 MDT (Spaceport America) · 18:30 in your time zone',
    );
  });

  it('follows each zone across its own daylight-saving switch', () => {
    // 14 Mar 2027: the US has switched to summer time, Europe has not yet.
    expect(formatDeparture('2027-03-15T16:30:00Z', 'Cape Canaveral', 'Europe/Paris')).toBe(
      '15 Mar 2027, 12:30 EDT (Cape Canaveral) · 17:30 in your time zone',
    );
  });

  it("gives the viewer's day too when it is another day there", () => {
    expect(departureParts('2027-03-12T16:30:00Z', 'Tanegashima', 'America/Los_Angeles')).toEqual({
      local: '13 Mar 2027, 01:30 GMT+9',
      spaceport: 'Tanegashima',
      viewer: '12 Mar 2027, 08:30',
    });
  });

  it('shows an unknown spaceport in UTC, said as UTC', () => {
    expect(formatDeparture(winter, 'Somewhere new', 'Europe/Paris')).toBe(
      '12 Mar 2027, 16:30 UTC (Somewhere new) · 17:30 in your time zone',
    );
  });

  it("leaves the viewer's time out when it is not known (server-side rendering)", () => {
    expect(formatDeparture(winter, 'Spaceport America', null)).toBe('12 Mar 2027, 09:30 MST (Spaceport America)');
  });

  it('leaves the viewer\'s time out when it reads the same as at the spaceport', () => {
    expect(formatDeparture(winter, 'Spaceport America', 'America/Denver')).toBe(
      '12 Mar 2027, 09:30 MST (Spaceport America)',
    );
  });

  it('writes September with the same abbreviation as every other month', () => {
    expect(formatDay('2027-09-01T12:00:00Z', 'UTC')).toBe('1 Sep 2027');
  });

  it('refuses a departure that is not an instant', () => {
    expect(() => formatDeparture('soon', 'Kourou', null)).toThrow(RangeError);
  });
});

describe('formatDay', () => {
  it("gives the day in the zone asked, which may differ from UTC's", () => {
    expect(formatDay('2027-03-12T23:30:00Z', 'UTC')).toBe('12 Mar 2027');
    expect(formatDay('2027-03-12T23:30:00Z', 'Asia/Tokyo')).toBe('13 Mar 2027');
  });
});

describe('labels', () => {
  it.each([
    ['suborbital', 'Suborbital hop'],
    ['low_earth_orbit', 'Low Earth orbit'],
    ['moon', 'The Moon'],
    ['mars', 'Mars'],
    ['venus', 'venus'],
  ])('names the destination %s as %s', (destination, label) => {
    expect(destinationLabel(destination)).toBe(label);
  });

  it.each([
    ['scheduled', 'Scheduled'],
    ['confirmed', 'Confirmed'],
    ['delayed', 'Delayed'],
    ['launched', 'Launched'],
    ['aborted', 'Aborted'],
    ['paused', 'paused'],
  ])('names the status %s as %s', (status, label) => {
    expect(launchStatusLabel(status)).toBe(label);
  });

  it.each([
    ['active', 'Active'],
    ['cancelled', 'Cancelled'],
    ['refunded', 'refunded'],
  ])('names the booking status %s as %s', (status, label) => {
    expect(bookingStatusLabel(status)).toBe(label);
  });

  it('counts the seats left in words', () => {
    expect(seatsLeftLabel(3)).toBe('3 seats left');
    expect(seatsLeftLabel(1)).toBe('1 seat left');
    expect(seatsLeftLabel(0)).toBe('Sold out');
  });
});
