import { HttpErrorResponse } from '@angular/common/http';

import {
  emptyProfile,
  fromProfile,
  initialProfile,
  profileFieldErrors,
  profileOrNone,
  showsSave,
  toUpdateProfile,
} from './profile-form';

const agency = {
  kind: 'agency' as const,
  legal_name: 'Orbit Travel Ltd',
  tax_id: 'GB123456789',
  address: { line1: '1 Launch Way', line2: null, city: 'London', postal_code: 'E1 6AN', country: 'GB' },
  contact: { name: 'Olive Orbit', email: 'olive@orbit.example', phone: '+44 20 7946 0000' },
};

describe('the profile form', () => {
  it('fills a traveler’s form from their profile', () => {
    expect(fromProfile({ kind: 'traveler', full_name: 'Ada Lovelace', birth_date: '1985-12-10' })).toMatchObject({
      kind: 'traveler',
      fullName: 'Ada Lovelace',
      birthDate: '1985-12-10',
    });
  });

  it('fills an agency’s form, a missing second address line as empty', () => {
    const values = fromProfile(agency);
    expect(values).toMatchObject({ legalName: 'Orbit Travel Ltd', line2: '', city: 'London', contactPhone: '+44 20 7946 0000' });
  });

  it('sends an agency’s legal data back as it came, trimmed, with a null second line', () => {
    const values = { ...fromProfile(agency), legalName: '  Orbit Travel Ltd ', country: 'gb' };
    expect(toUpdateProfile(values)).toEqual({ profile: agency });
  });

  it('sends only a traveler’s fields for a traveler', () => {
    const values = { ...emptyProfile('traveler'), fullName: ' Ada ', birthDate: '1985-12-10', legalName: 'ignored' };
    expect(toUpdateProfile(values)).toEqual({ profile: { kind: 'traveler', full_name: 'Ada', birth_date: '1985-12-10' } });
  });

  it('keeps a filled second address line', () => {
    const update = toUpdateProfile({ ...fromProfile(agency), line2: ' Floor 2 ' });
    expect(update.profile.kind === 'agency' && update.profile.address.line2).toBe('Floor 2');
  });

  it('maps the server’s field paths to the form’s fields, the rest to the form', () => {
    expect(
      profileFieldErrors([
        { field: 'profile.address.city', message: 'must not be blank' },
        { field: 'profile.contact.phone', message: 'is not a phone number' },
        { field: 'profile.something', message: 'odd' },
      ]),
    ).toEqual({ city: 'must not be blank', contactPhone: 'is not a phone number', form: 'odd' });
  });
});

describe('loading the profile', () => {
  const view = { user_id: 'u1', version: 3, profile: { kind: 'traveler' as const, full_name: 'Ada', birth_date: '1985-12-10' } };
  const failure = (status: number) => new HttpErrorResponse({ status, error: { title: 'x', status } });

  it('answers the stored profile', async () => {
    await expect(profileOrNone(() => Promise.resolve(view))).resolves.toBe(view);
  });

  it('answers no profile when the query API has none yet (404)', async () => {
    await expect(profileOrNone(() => Promise.reject(failure(404)))).resolves.toBeNull();
  });

  it('lets other failures through, so the page can say it could not load', async () => {
    await expect(profileOrNone(() => Promise.reject(failure(503)))).rejects.toMatchObject({ status: 503 });
    await expect(profileOrNone(() => Promise.reject(failure(0)))).rejects.toMatchObject({ status: 0 });
  });

  it('starts from the stored profile, or from an empty form of the user’s kind', () => {
    expect(initialProfile(view, 'agency')).toMatchObject({ kind: 'traveler', fullName: 'Ada' });
    expect(initialProfile(null, 'agency')).toEqual(emptyProfile('agency'));
  });
});

describe('reading the profile back after saving', () => {
  it('accepts a read that has the saved version or a later one', () => {
    expect(showsSave({ version: 4 }, 4, null)).toBe(true);
    expect(showsSave({ version: 5 }, 4, 'false')).toBe(true);
  });

  it('refuses a stale read: older than the save, or marked Astro-Stale', () => {
    expect(showsSave({ version: 3 }, 4, null)).toBe(false);
    expect(showsSave({ version: 4 }, 4, 'true')).toBe(false);
    expect(showsSave({ version: 4 }, 4, ' True ')).toBe(false);
  });
});
