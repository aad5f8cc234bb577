import {
  ageOn,
  birthDateError,
  bookingErrors,
  charCount,
  emailError,
  nameError,
  parseDate,
  PassengerInput,
  plausibleEmail,
  toPassengerPayload,
  trimText,
  utcDate,
} from './passenger-rules';

const ada: PassengerInput = { name: 'Ada Lovelace', birthDate: '1985-12-10', email: '' };
const departure = '2030-06-15T10:00:00Z';

describe('passenger names', () => {
  it('accepts an ordinary name and names from every script', () => {
    for (const name of ['Ada Lovelace', 'José Ñúñez', '李小龍', "O'Brien-Smith", 'emoji 🚀']) {
      expect(nameError(name)).toBeNull();
    }
  });

  it('refuses an empty or blank name, including one of no-break spaces', () => {
    expect(nameError('')).toMatch(/full name/);
    expect(nameError('   ')).toMatch(/full name/);
    expect(nameError('\u00A0\u3000')).toMatch(/full name/);
  });

  it('trims the spaces around a name before counting', () => {
    expect(trimText('  Ada\u00A0 ')).toBe('Ada');
    expect(nameError(`  ${'a'.repeat(200)}  `)).toBeNull();
  });

  it('accepts 200 characters and refuses 201', () => {
    expect(nameError('a'.repeat(200))).toBeNull();
    expect(nameError('a'.repeat(201))).toMatch(/at most 200 characters/);
  });

  it('counts characters, not bytes or UTF-16 units', () => {
    const rockets = '🚀'.repeat(200);
    expect(rockets.length).toBe(400);
    expect(charCount(rockets)).toBe(200);
    expect(nameError(rockets)).toBeNull();
    expect(nameError('ñ'.repeat(200))).toBeNull();
    expect(nameError('🚀'.repeat(201))).toMatch(/at most 200/);
  });

  it('refuses a control character anywhere, even a trailing line break the trim would hide', () => {
    expect(nameError('Ada\n')).toMatch(/cannot be used/);
    expect(nameError('\tAda')).toMatch(/cannot be used/);
    expect(nameError('A\u0085da')).toMatch(/cannot be used/);
    expect(nameError('A\u007Fda')).toMatch(/cannot be used/);
  });
});

describe('ages at departure', () => {
  it('computes whole years, a day before the birthday still the younger age', () => {
    expect(ageOn({ year: 2000, month: 6, day: 15 }, { year: 2018, month: 6, day: 14 })).toBe(17);
    expect(ageOn({ year: 2000, month: 6, day: 15 }, { year: 2018, month: 6, day: 15 })).toBe(18);
  });

  it('accepts a passenger whose 18th birthday is exactly the departure day', () => {
    expect(birthDateError('2012-06-15', departure)).toBeNull();
  });

  it('refuses a passenger who turns 18 the day after departure', () => {
    expect(birthDateError('2012-06-16', departure)).toMatch(/at least 18.*would be 17/);
  });

  it('accepts a passenger who is 70 on the day before their 71st birthday', () => {
    expect(birthDateError('1959-06-16', departure)).toBeNull();
  });

  it('refuses a passenger whose 71st birthday is the departure day', () => {
    expect(birthDateError('1959-06-15', departure)).toMatch(/at most 70.*would be 71/);
  });

  it('lets someone born on 29 February turn 18 on 1 March in a year without one', () => {
    expect(birthDateError('2008-02-29', '2026-02-28T12:00:00Z')).toMatch(/would be 17/);
    expect(birthDateError('2008-02-29', '2026-03-01T12:00:00Z')).toBeNull();
  });

  it('counts a departure on 29 February of a leap year between 28 February and 1 March birthdays', () => {
    expect(birthDateError('2010-02-28', '2028-02-29T12:00:00Z')).toBeNull();
    expect(birthDateError('2010-03-01', '2028-02-29T12:00:00Z')).toMatch(/would be 17/);
    // 29 February 1958 does not exist; born 29 February 1956, 72 on 29 February 2028.
    expect(birthDateError('1956-02-29', '2028-02-29T12:00:00Z')).toMatch(/would be 72/);
    expect(birthDateError('1958-03-01', '2028-02-29T12:00:00Z')).toBeNull();
  });

  it('checks the age on the UTC date of the departure, as the server does', () => {
    // 01:30 at UTC+2 is 23:30 UTC the day before: the 18th birthday has not come yet.
    expect(utcDate('2030-06-15T01:30:00+02:00')).toEqual({ year: 2030, month: 6, day: 14 });
    expect(birthDateError('2012-06-15', '2030-06-15T01:30:00+02:00')).toMatch(/would be 17/);
    expect(birthDateError('2012-06-15', '2030-06-14T23:30:00-03:00')).toBeNull();
  });

  it('asks for a date when there is none and refuses an impossible one', () => {
    expect(birthDateError('', departure)).toMatch(/Enter the date of birth/);
    expect(birthDateError('2001-02-29', departure)).toMatch(/real date/);
    expect(birthDateError('1990-13-01', departure)).toMatch(/real date/);
    expect(birthDateError('10/12/1990', departure)).toMatch(/real date/);
    expect(parseDate('2000-02-29')).toEqual({ year: 2000, month: 2, day: 29 });
    expect(parseDate('1900-02-29')).toBeNull();
  });

  it('says someone born after departure is too young without a negative age', () => {
    expect(birthDateError('2031-01-01', departure)).toMatch(/would be 0/);
  });
});

describe('passenger emails', () => {
  it('takes no email as none', () => {
    expect(emailError('')).toBeNull();
    expect(emailError('   ')).toBeNull();
  });

  it('accepts an address after trimming and lower-casing', () => {
    expect(emailError(' Ada@Example.ORG ')).toBeNull();
    expect(plausibleEmail('ada@example.org')).toBe(true);
  });

  it('refuses what the server refuses', () => {
    for (const bad of ['ada@example', '@example.org', 'ada example@org.com', 'ada@.org', 'ada@example.org.', 'ada']) {
      expect(emailError(bad)).toMatch(/email like/);
    }
  });

  it('refuses an address that lower-casing makes longer than 254 characters', () => {
    const email = `${'\u0130'.repeat(240)}@example.org`;
    expect(charCount(email)).toBe(252);
    expect(emailError(email)).toMatch(/at most 254/);
  });

  it('refuses a control character in an email', () => {
    expect(emailError('ada@example.org\n')).toMatch(/cannot be used/);
  });
});

describe('a whole booking', () => {
  it('has no error for one to six valid passengers', () => {
    expect(bookingErrors([ada], departure)).toEqual({});
    expect(bookingErrors(Array(6).fill(ada), departure)).toEqual({});
  });

  it('needs at least one passenger and holds at most six', () => {
    expect(bookingErrors([], departure)).toEqual({ passengers: 'Add at least one passenger.' });
    expect(bookingErrors(Array(7).fill(ada), departure)['passengers']).toMatch(/at most 6/);
  });

  it('names each invalid field by the path the server uses', () => {
    const errors = bookingErrors([ada, { name: ' ', birthDate: '2020-01-01', email: 'nope' }], departure);
    expect(Object.keys(errors).sort()).toEqual([
      'passengers[1].birth_date',
      'passengers[1].email',
      'passengers[1].name',
    ]);
  });

  it('sends trimmed names and leaves an empty email out', () => {
    expect(
      toPassengerPayload([
        { name: '  Ada Lovelace ', birthDate: '1985-12-10', email: '  ' },
        { name: 'Mary', birthDate: '1990-01-01', email: ' mary@example.org ' },
      ]),
    ).toEqual([
      { name: 'Ada Lovelace', birth_date: '1985-12-10' },
      { name: 'Mary', birth_date: '1990-01-01', email: 'mary@example.org' },
    ]);
  });
});
