import type { RegisterRequest } from '@astro/shared/api/auth/models/register-request';

/** The register form's value, as the form holds it. */
export interface RegisterFormValue {
  readonly kind: 'traveler' | 'agency';
  readonly email: string;
  readonly password: string;
  readonly traveler: { readonly full_name: string; readonly birth_date: string };
  readonly agency: {
    readonly legal_name: string;
    readonly tax_id: string;
    readonly address: {
      readonly line1: string;
      readonly line2: string;
      readonly postal_code: string;
      readonly city: string;
      readonly country: string;
    };
    readonly contact: { readonly name: string; readonly email: string; readonly phone: string };
  };
}

/** The `POST /v1/auth/register` body for the form's value (only the chosen kind's profile). */
export function registerBody(value: RegisterFormValue): RegisterRequest {
  const { email, password } = value;
  if (value.kind === 'traveler') {
    return { email: email.trim(), password, profile: { kind: 'traveler', ...value.traveler } };
  }
  const { address, contact, legal_name, tax_id } = value.agency;
  return {
    email: email.trim(),
    password,
    profile: {
      kind: 'agency',
      legal_name,
      tax_id,
      address: { ...address, line2: address.line2.trim() === '' ? null : address.line2, country: address.country.trim().toUpperCase() },
      contact,
    },
  };
}

/** One input of the form: where it is in the form, and which API field it answers for. */
export interface FieldSpec {
  readonly id: string;
  readonly label: string;
  /** The control's path in the form. */
  readonly control: string;
  /** The field's path in the API's 422. */
  readonly api: string;
  readonly type: 'text' | 'date' | 'email' | 'tel';
  readonly autocomplete: string;
  readonly required: boolean;
  readonly hint?: string;
}

/** A traveler's profile. */
export const TRAVELER_FIELDS: readonly FieldSpec[] = [
  { id: 'full-name', label: 'Full name', control: 'traveler.full_name', api: 'profile.full_name', type: 'text', autocomplete: 'name', required: true },
  { id: 'birth-date', label: 'Date of birth', control: 'traveler.birth_date', api: 'profile.birth_date', type: 'date', autocomplete: 'bday', required: true, hint: 'You must be 18 or older.' },
];

/** An agency's legal data. */
export const AGENCY_FIELDS: readonly FieldSpec[] = [
  { id: 'legal-name', label: 'Legal name', control: 'agency.legal_name', api: 'profile.legal_name', type: 'text', autocomplete: 'organization', required: true },
  { id: 'tax-id', label: 'Tax ID', control: 'agency.tax_id', api: 'profile.tax_id', type: 'text', autocomplete: 'off', required: true, hint: '4 to 32 letters, digits, spaces, dots, dashes or slashes.' },
  { id: 'line1', label: 'Address', control: 'agency.address.line1', api: 'profile.address.line1', type: 'text', autocomplete: 'address-line1', required: true },
  { id: 'line2', label: 'Address line 2', control: 'agency.address.line2', api: 'profile.address.line2', type: 'text', autocomplete: 'address-line2', required: false },
  { id: 'postal-code', label: 'Postal code', control: 'agency.address.postal_code', api: 'profile.address.postal_code', type: 'text', autocomplete: 'postal-code', required: true },
  { id: 'city', label: 'City', control: 'agency.address.city', api: 'profile.address.city', type: 'text', autocomplete: 'address-level2', required: true },
  { id: 'country', label: 'Country code', control: 'agency.address.country', api: 'profile.address.country', type: 'text', autocomplete: 'country', required: true, hint: 'Two letters, e.g. FR or US.' },
  { id: 'contact-name', label: 'Contact person', control: 'agency.contact.name', api: 'profile.contact.name', type: 'text', autocomplete: 'name', required: true },
  { id: 'contact-email', label: 'Contact email', control: 'agency.contact.email', api: 'profile.contact.email', type: 'email', autocomplete: 'email', required: true },
  { id: 'contact-phone', label: 'Contact phone', control: 'agency.contact.phone', api: 'profile.contact.phone', type: 'tel', autocomplete: 'tel', required: true, hint: '6 to 15 digits; +, spaces, dashes, dots and parentheses are fine.' },
];
