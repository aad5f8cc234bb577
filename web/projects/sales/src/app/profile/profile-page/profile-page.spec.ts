import { HttpHeaders } from '@angular/common/http';
import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { ProfileView } from '@astro/shared/api/query-api/models/profile-view';

import { TEST_API, testProviders } from '../../account/testing';
import { ProfilePage } from './profile-page';

const PROFILE = `${TEST_API.query}/v1/profiles/me`;

const traveler: ProfileView = {
  user_id: 'u1',
  version: 1,
  profile: { kind: 'traveler', full_name: 'Ada Lovelace', birth_date: '1985-12-10' },
};

const agency: ProfileView = {
  user_id: 'u2',
  version: 1,
  profile: {
    kind: 'agency',
    legal_name: 'Orbit Travel Ltd',
    tax_id: 'GB123456789',
    address: { line1: '1 Launch Way', city: 'London', postal_code: 'E1 6AN', country: 'GB' },
    contact: { name: 'Olive Orbit', email: 'olive@orbit.example', phone: '+44 20 7946 0000' },
  },
};

/** Lets the page's awaited calls move on (the save stays pending until its read-back is answered). */
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

const notFound = { type: '/problems/profile-not-found', title: 'Not found', status: 404, detail: 'no profile yet' };

describe('the profile page', () => {
  let fixture: ComponentFixture<ProfilePage>;
  let http: HttpTestingController;
  const root = (): HTMLElement => fixture.nativeElement as HTMLElement;
  const input = (key: string) => root().querySelector<HTMLInputElement>(`#profile-${key}`)!;

  /** Opens the page for a user of `role`; the query API answers `answer` (a profile, or 404 when null). */
  async function open(answer: ProfileView | null, role: 'traveler' | 'agency' = answer?.profile.kind ?? 'traveler'): Promise<void> {
    TestBed.configureTestingModule({ providers: testProviders(role) });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(ProfilePage);
    fixture.detectChanges();
    const request = http.expectOne(PROFILE);
    if (answer === null) {
      request.flush(notFound, { status: 404, statusText: 'Not Found' });
    } else {
      request.flush(answer);
    }
    await fixture.whenStable();
  }

  /** Changes the full name and saves; the command API answers version `version`. */
  async function saveName(name: string, version: number): Promise<void> {
    input('fullName').value = name;
    input('fullName').dispatchEvent(new Event('input'));
    submit();
    http
      .expectOne(`${TEST_API.command}/v1/profiles/me`)
      .flush({ user_id: 'u1', version, profile: { kind: 'traveler', full_name: name, birth_date: '1985-12-10' } });
    await nextTask();
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

  it('starts an empty form of the user’s kind when there is no profile yet', async () => {
    await open(null, 'agency');
    expect(root().querySelector('[data-testid="no-profile"]')?.textContent).toContain('not filled in your profile yet');
    expect(input('legalName').value).toBe('');
    expect(input('contactEmail').value).toBe('');
    expect(input('fullName')).toBeNull();
  });

  it('says so when the profile cannot be loaded', async () => {
    TestBed.configureTestingModule({ providers: testProviders('traveler') });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(ProfilePage);
    fixture.detectChanges();
    http.expectOne(PROFILE).flush({ title: 'Unavailable', status: 503 }, { status: 503, statusText: 'Unavailable' });
    await fixture.whenStable();
    expect(root().querySelector('[role="alert"]')?.textContent).toContain('could not load your profile');
    expect(root().querySelector('form')).toBeNull();
  });

  it('saves the profile, says so, and reads it back once the query API has the saved version', async () => {
    await open(traveler);
    input('fullName').value = 'Ada King';
    input('fullName').dispatchEvent(new Event('input'));
    submit();
    const request = http.expectOne(`${TEST_API.command}/v1/profiles/me`);
    expect(request.request.method).toBe('PUT');
    expect(request.request.body).toEqual({ profile: { kind: 'traveler', full_name: 'Ada King', birth_date: '1985-12-10' } });
    request.flush({ user_id: 'u1', version: 2, profile: { kind: 'traveler', full_name: 'Ada King', birth_date: '1985-12-10' } });
    await nextTask();
    fixture.detectChanges();
    expect(root().querySelector('[data-testid="saved"]')?.textContent).toContain('saved');
    http
      .expectOne(`${PROFILE}?min_version=2`)
      .flush({ ...traveler, version: 2, profile: { ...traveler.profile, full_name: 'Ada King' } });
    await fixture.whenStable();
    expect(input('fullName').value).toBe('Ada King');
  });

  it('keeps the saved values when the read after saving is stale', async () => {
    await open(traveler);
    await saveName('Ada King', 2);
    http.expectOne(`${PROFILE}?min_version=2`).flush(traveler, { headers: new HttpHeaders({ 'Astro-Stale': 'true' }) });
    await fixture.whenStable();
    expect(input('fullName').value).toBe('Ada King');
    expect(root().querySelector('[data-testid="saved"]')).not.toBeNull();
  });

  it('shows a first profile as saved, no longer as missing', async () => {
    await open(null, 'traveler');
    input('birthDate').value = '1985-12-10';
    input('birthDate').dispatchEvent(new Event('input'));
    await saveName('Ada Lovelace', 1);
    http.expectOne(`${PROFILE}?min_version=1`).flush(traveler);
    await fixture.whenStable();
    expect(root().querySelector('[data-testid="no-profile"]')).toBeNull();
    expect(input('fullName').value).toBe('Ada Lovelace');
    expect(input('birthDate').value).toBe('1985-12-10');
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
