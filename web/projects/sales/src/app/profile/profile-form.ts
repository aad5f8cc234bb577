import { toProblem } from '@astro/shared';
import { UpdateProfile } from '@astro/shared/api/command-api/models/update-profile';
import { ProfileView } from '@astro/shared/api/query-api/models/profile-view';

import { trimText } from '../booking/passenger-rules';

/** The profile form's fields, flat, as typed (both kinds; the kind says which count). */
export interface ProfileValues {
  kind: 'traveler' | 'agency' | 'employee';
  fullName: string;
  birthDate: string;
  legalName: string;
  taxId: string;
  line1: string;
  line2: string;
  city: string;
  postalCode: string;
  country: string;
  contactName: string;
  contactEmail: string;
  contactPhone: string;
}

/** Each form field's key by the server's 422 path (`profile.address.city`). */
export const FIELD_BY_PATH: Readonly<Record<string, keyof ProfileValues>> = {
  'profile.kind': 'kind',
  'profile.full_name': 'fullName',
  'profile.birth_date': 'birthDate',
  'profile.legal_name': 'legalName',
  'profile.tax_id': 'taxId',
  'profile.address.line1': 'line1',
  'profile.address.line2': 'line2',
  'profile.address.city': 'city',
  'profile.address.postal_code': 'postalCode',
  'profile.address.country': 'country',
  'profile.contact.name': 'contactName',
  'profile.contact.email': 'contactEmail',
  'profile.contact.phone': 'contactPhone',
};

/** An empty form of `kind`. */
export function emptyProfile(kind: ProfileValues['kind']): ProfileValues {
  return {
    kind,
    fullName: '',
    birthDate: '',
    legalName: '',
    taxId: '',
    line1: '',
    line2: '',
    city: '',
    postalCode: '',
    country: '',
    contactName: '',
    contactEmail: '',
    contactPhone: '',
  };
}

/** The form's values from a stored profile (as the query API reads it or the command API's PUT answers it). */
export function fromProfile(profile: UpdateProfile['profile']): ProfileValues {
  const values = emptyProfile(profile.kind);
  switch (profile.kind) {
    case 'traveler':
      return { ...values, fullName: profile.full_name, birthDate: profile.birth_date };
    case 'employee':
      return { ...values, fullName: profile.full_name };
    case 'agency':
      return {
        ...values,
        legalName: profile.legal_name,
        taxId: profile.tax_id,
        line1: profile.address.line1,
        line2: profile.address.line2 ?? '',
        city: profile.address.city,
        postalCode: profile.address.postal_code,
        country: profile.address.country,
        contactName: profile.contact.name,
        contactEmail: profile.contact.email,
        contactPhone: profile.contact.phone,
      };
  }
}

/**
 * The request of `PUT /v1/profiles/me` (the `oneOf` by `kind`): only the
 * fields of that kind, trimmed; the country in capitals; an empty second
 * address line as null.
 */
export function toUpdateProfile(values: ProfileValues): UpdateProfile {
  const t = trimText;
  switch (values.kind) {
    case 'traveler':
      return { profile: { kind: 'traveler', full_name: t(values.fullName), birth_date: values.birthDate } };
    case 'employee':
      return { profile: { kind: 'employee', full_name: t(values.fullName) } };
    case 'agency':
      return {
        profile: {
          kind: 'agency',
          legal_name: t(values.legalName),
          tax_id: t(values.taxId),
          address: {
            line1: t(values.line1),
            line2: t(values.line2) === '' ? null : t(values.line2),
            city: t(values.city),
            postal_code: t(values.postalCode),
            country: t(values.country).toUpperCase(),
          },
          contact: { name: t(values.contactName), email: t(values.contactEmail), phone: t(values.contactPhone) },
        },
      };
  }
}

/** The server's 422 messages by form field (unknown paths under `form`). */
export function profileFieldErrors(
  errors: readonly { field: string; message: string }[],
): Partial<Record<keyof ProfileValues | 'form', string>> {
  const byField: Partial<Record<keyof ProfileValues | 'form', string>> = {};
  for (const error of errors) {
    const key = FIELD_BY_PATH[error.field] ?? 'form';
    byField[key] ??= error.message;
  }
  return byField;
}

/**
 * The caller's profile from `load` (`GET /v1/profiles/me`), or null when
 * there is none yet (404: a new account whose registration the query side
 * has not projected, or that never set one). Other failures propagate.
 */
export async function profileOrNone(load: () => Promise<ProfileView>): Promise<ProfileView | null> {
  try {
    return await load();
  } catch (error) {
    if (toProblem(error).status === 404) {
      return null;
    }
    throw error;
  }
}

/** The form to start from: the stored profile, or an empty one of the user's kind when there is none yet. */
export function initialProfile(view: ProfileView | null, role: ProfileValues['kind']): ProfileValues {
  return view === null ? emptyProfile(role) : fromProfile(view.profile);
}

/**
 * Whether a read after saving version `saved` shows the save: the query
 * API waited long enough (no `Astro-Stale: true`) and has that version.
 * A stale read must not overwrite what the user just saved.
 */
export function showsSave(view: Pick<ProfileView, 'version'>, saved: number, staleHeader: string | null): boolean {
  return staleHeader?.trim().toLowerCase() !== 'true' && view.version >= saved;
}
