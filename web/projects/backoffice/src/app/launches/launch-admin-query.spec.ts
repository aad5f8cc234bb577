import {
  DEFAULT_ADMIN_QUERY,
  minVersionOf,
  pageCount,
  parseAdminQuery,
  serializeAdminQuery,
  toAdminListParams,
} from './launch-admin-query';

describe('the operations launch list URL state', () => {
  it('reads filters, order and page from the URL', () => {
    expect(parseAdminQuery({ destination: 'mars', from: '2027-01-01', to: '2027-02-01', sort: '-price', page: '3' })).toEqual({
      destination: 'mars',
      from: '2027-01-01',
      to: '2027-02-01',
      sort: '-price',
      page: 3,
    });
  });

  it('drops values that are not valid rather than failing the page', () => {
    expect(
      parseAdminQuery({ destination: 'pluto', from: '2027-02-30', to: 'soon', sort: 'name', page: '0' }),
    ).toEqual(DEFAULT_ADMIN_QUERY);
    expect(parseAdminQuery({ page: '10001' }).page).toBe(1);
  });

  it('drops an end day before the start day', () => {
    expect(parseAdminQuery({ from: '2027-05-01', to: '2027-04-01' })).toMatchObject({ from: '2027-05-01', to: null });
  });

  it('takes the first of a repeated parameter', () => {
    expect(parseAdminQuery({ destination: ['moon', 'mars'] }).destination).toBe('moon');
  });

  it('writes defaults out of the URL and round-trips the rest', () => {
    expect(serializeAdminQuery(DEFAULT_ADMIN_QUERY)).toEqual({});
    const query = { destination: 'moon', from: '2027-01-01', to: null, sort: 'price', page: 2 } as const;
    expect(serializeAdminQuery(query)).toEqual({ destination: 'moon', from: '2027-01-01', sort: 'price', page: '2' });
    expect(parseAdminQuery(serializeAdminQuery(query))).toEqual(query);
  });

  it('asks the query API for every launch, 20 a page', () => {
    expect(toAdminListParams({ ...DEFAULT_ADMIN_QUERY, destination: 'moon', to: '2027-03-01' })).toEqual({
      all: true,
      sort: 'departure_at',
      page: 1,
      page_size: 20,
      destination: 'moon',
      departure_to: '2027-03-01',
    });
  });

  it('waits for the version a command answered when told to', () => {
    const minVersion = minVersionOf({ launch_id: 'abc', version: 4 });
    expect(minVersion).toBe('abc:4');
    expect(toAdminListParams(DEFAULT_ADMIN_QUERY, minVersion)['Astro-Min-Version']).toBe('abc:4');
  });

  it('counts at least one page', () => {
    expect(pageCount(0)).toBe(1);
    expect(pageCount(20)).toBe(1);
    expect(pageCount(21)).toBe(2);
  });
});
