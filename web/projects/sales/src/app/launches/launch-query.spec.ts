import {
  DEFAULT_QUERY,
  LaunchQuery,
  PAGE_SIZE,
  filterFormValue,
  isFiltered,
  launchListPath,
  pageCount,
  parseLaunchQuery,
  queryFromForm,
  serializeLaunchQuery,
  toListParams,
  validDay,
} from './launch-query';

const full: LaunchQuery = {
  destination: 'moon',
  from: '2027-01-01',
  to: '2027-06-30',
  minSeats: 2,
  sort: 'price',
  page: 2,
};

describe('parseLaunchQuery', () => {
  it('reads every filter, the order and the page from the URL', () => {
    expect(
      parseLaunchQuery({
        destination: 'moon',
        from: '2027-01-01',
        to: '2027-06-30',
        min_seats: '2',
        sort: 'price',
        page: '2',
      }),
    ).toEqual(full);
  });

  it('gives the defaults for a URL without parameters', () => {
    expect(parseLaunchQuery({})).toEqual(DEFAULT_QUERY);
  });

  it('drops a destination it does not know', () => {
    expect(parseLaunchQuery({ destination: 'venus' }).destination).toBeNull();
    expect(parseLaunchQuery({ destination: 'MOON' }).destination).toBeNull();
  });

  it('drops dates that are not calendar days', () => {
    for (const day of ['2027-02-30', '2027-13-01', '27-01-01', '2027-1-1', 'tomorrow', '1969-12-31', '']) {
      expect(parseLaunchQuery({ from: day, to: day })).toMatchObject({ from: null, to: null });
    }
  });

  it('keeps a leap day', () => {
    expect(parseLaunchQuery({ from: '2028-02-29' }).from).toBe('2028-02-29');
  });

  it('drops an end date before the start date, keeping the start', () => {
    expect(parseLaunchQuery({ from: '2027-05-02', to: '2027-05-01' })).toMatchObject({
      from: '2027-05-02',
      to: null,
    });
  });

  it('keeps a range of a single day', () => {
    expect(parseLaunchQuery({ from: '2027-05-01', to: '2027-05-01' })).toMatchObject({
      from: '2027-05-01',
      to: '2027-05-01',
    });
  });

  it('drops seat counts and pages that are not whole numbers in range', () => {
    for (const bad of ['0', '-1', '1.5', 'two', '1e3', '', '0x10']) {
      expect(parseLaunchQuery({ min_seats: bad, page: bad })).toMatchObject({ minSeats: 1, page: 1 });
    }
    expect(parseLaunchQuery({ min_seats: '1000001', page: '10001' })).toMatchObject({ minSeats: 1, page: 1 });
    expect(parseLaunchQuery({ min_seats: '1000000', page: '10000' })).toMatchObject({
      minSeats: 1_000_000,
      page: 10_000,
    });
  });

  it('drops an order it does not know', () => {
    expect(parseLaunchQuery({ sort: 'name' }).sort).toBe('departure');
    expect(parseLaunchQuery({ sort: '-price' }).sort).toBe('-price');
  });

  it('takes the first of a repeated parameter', () => {
    expect(parseLaunchQuery({ destination: ['mars', 'moon'] }).destination).toBe('mars');
  });

  it('ignores surrounding spaces and parameters it does not know', () => {
    expect(parseLaunchQuery({ page: ' 3 ', utm_source: 'newsletter' })).toEqual({ ...DEFAULT_QUERY, page: 3 });
  });
});

describe('serializeLaunchQuery', () => {
  it('writes every value that is not a default', () => {
    expect(serializeLaunchQuery(full)).toEqual({
      destination: 'moon',
      from: '2027-01-01',
      to: '2027-06-30',
      min_seats: '2',
      sort: 'price',
      page: '2',
    });
  });

  it('leaves the defaults out of the URL', () => {
    expect(serializeLaunchQuery(DEFAULT_QUERY)).toEqual({});
  });

  it('round-trips through parseLaunchQuery', () => {
    expect(parseLaunchQuery(serializeLaunchQuery(full))).toEqual(full);
    expect(parseLaunchQuery(serializeLaunchQuery(DEFAULT_QUERY))).toEqual(DEFAULT_QUERY);
  });
});

describe('launchListPath', () => {
  it('is the bare home page for the defaults', () => {
    expect(launchListPath(DEFAULT_QUERY)).toBe('/');
  });

  it('writes the parameters in a stable order', () => {
    expect(launchListPath({ ...DEFAULT_QUERY, page: 2, destination: 'mars' })).toBe('/?destination=mars&page=2');
  });
});

describe('toListParams', () => {
  it("asks the query API for the state's page of bookable launches", () => {
    expect(toListParams(full)).toEqual({
      destination: 'moon',
      departure_from: '2027-01-01',
      departure_to: '2027-06-30',
      min_free_seats: 2,
      sort: 'price',
      page: 2,
      page_size: PAGE_SIZE,
    });
  });

  it("names the orders as the query API does and leaves unset filters out", () => {
    expect(toListParams({ ...DEFAULT_QUERY, sort: '-departure' })).toEqual({
      min_free_seats: 1,
      sort: '-departure_at',
      page: 1,
      page_size: 12,
    });
  });
});

describe('pageCount and isFiltered', () => {
  it('counts the pages of 12 launches, at least one', () => {
    expect(pageCount(0)).toBe(1);
    expect(pageCount(12)).toBe(1);
    expect(pageCount(13)).toBe(2);
  });

  it('tells a filtered list from an ordered or paged one', () => {
    expect(isFiltered({ ...DEFAULT_QUERY, sort: 'price', page: 3 })).toBe(false);
    expect(isFiltered({ ...DEFAULT_QUERY, minSeats: 2 })).toBe(true);
    expect(isFiltered({ ...DEFAULT_QUERY, to: '2027-01-01' })).toBe(true);
  });

  it('validDay accepts only existing days', () => {
    expect(validDay('2027-04-31')).toBeNull();
    expect(validDay('2027-04-30')).toBe('2027-04-30');
    expect(validDay(null)).toBeNull();
  });
});

describe('filterFormValue and queryFromForm', () => {
  it('fills the form from a state, empty strings for what is not set', () => {
    expect(filterFormValue(DEFAULT_QUERY)).toEqual({ destination: '', from: '', to: '', minSeats: 1, sort: 'departure' });
  });

  it('reads the form back into the same state, on page 1', () => {
    expect(queryFromForm(filterFormValue(full))).toEqual({ ...full, page: 1 });
  });

  it('drops what the form holds that a URL could not', () => {
    expect(queryFromForm({ destination: '', from: '2027-02-30', to: '', minSeats: null, sort: 'departure' })).toEqual(
      DEFAULT_QUERY,
    );
  });
});
