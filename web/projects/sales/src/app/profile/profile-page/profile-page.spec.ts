import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { Me } from '@astro/shared/api/auth/models/me';

import { TEST_API, testProviders } from '../../account/testing';
import { ProfilePage } from './profile-page';

const traveler: Me = {
  user_id: 'u1',
  email: 'traveler@astro.example',
  role: 'traveler',
  created_at: '2026-01-01T00:00:00Z',
  profile: { kind: 'traveler', full_name: 'Ada Lovelace', birth_date: '1985-12-10' },
};

const agency: Me = {
  user_id: 'u2',
  email: 'agency@astro.example',
  role: 'agency',
  created_at: '2026-01-01T00:00:00Z',
  profile: {
    kind: 'agency',
    legal_name: 'Orbit Travel Ltd',
    tax_id: 'GB123456789',
    address: { line1: '1 Launch Way', city: 'London', postal_code: 'E1 6AN', country: 'GB' },
    contact: { name: 'Olive Orbit', email: 'olive@orbit.example', phone: '+44 20 7946 0000' },
  },
};

describe('the profile page', () => {
  let fixture: ComponentFixture<ProfilePage>;
  let http: HttpTestingController;
  const root = (): HTMLElement => fixture.nativeElement as HTMLElement;
  const input = (key: string) => root().querySelector<HTMLInputElement>(`#profile-${key}`)!;

  async function open(account: Me): Promise<void> {
    TestBed.configureTestingModule({ providers: testProviders(account.role) });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(ProfilePage);
    fixture.detectChanges();
    http.expectOne(`${TEST_API.auth}/v1/auth/me`).flush(account);
    await fixture.whenStable();
  }

  function submit(): void {
    root().querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    fixture.detectChanges();
  }

  afterEach(() => http.verify());

  it('prefills a traveler’s name and date of birth, each input labelled', async () => {
    await open(traveler);
    expect(input('fullName').value).toBe('Ada Lovelace');
    expect(input('birthDate').value).toBe('1985-12-10');
    expect(root().querySelector('label[for="profile-fullName"]')?.textContent).toBe('Full name');
    expect(input('legalName')).toBeNull();
  });

  it('prefills an agency’s legal data', async () => {
    await open(agency);
    expect(input('legalName').value).toBe('Orbit Travel Ltd');
    expect(input('country').value).toBe('GB');
    expect(input('fullName')).toBeNull();
  });

  it('saves the profile and says so', async () => {
    await open(traveler);
    input('fullName').value = 'Ada King';
    input('fullName').dispatchEvent(new Event('input'));
    submit();
    const request = http.expectOne(`${TEST_API.command}/v1/profiles/me`);
    expect(request.request.method).toBe('PUT');
    expect(request.request.body).toEqual({ profile: { kind: 'traveler', full_name: 'Ada King', birth_date: '1985-12-10' } });
    request.flush({ user_id: 'u1', version: 2, profile: { kind: 'traveler', full_name: 'Ada King', birth_date: '1985-12-10' } });
    await fixture.whenStable();
    expect(root().querySelector('[data-testid="saved"]')?.textContent).toContain('saved');
  });

  it('shows the server’s 422 field errors next to their inputs', async () => {
    await open(agency);
    submit();
    http.expectOne(`${TEST_API.command}/v1/profiles/me`).flush(
      {
        type: '/problems/validation-failed',
        title: 'Invalid',
        status: 422,
        errors: [{ field: 'profile.contact.phone', code: 'invalid', message: 'is not a phone number' }],
      },
      { status: 422, statusText: 'Unprocessable Entity' },
    );
    await fixture.whenStable();
    const phone = input('contactPhone');
    expect(phone.getAttribute('aria-invalid')).toBe('true');
    expect(root().querySelector(`#${phone.getAttribute('aria-describedby')}`)?.textContent).toBe('Is not a phone number.');
    expect(root().querySelector('[aria-live]')?.textContent).toContain('correct the fields');
    expect(root().querySelector('[data-testid="saved"]')).toBeNull();
  });

  it('shows other failures as an alert', async () => {
    await open(traveler);
    submit();
    http.expectOne(`${TEST_API.command}/v1/profiles/me`).error(new ProgressEvent('error'));
    await fixture.whenStable();
    expect(root().querySelector('[role="alert"]')?.textContent).toContain('could not reach');
  });
});
