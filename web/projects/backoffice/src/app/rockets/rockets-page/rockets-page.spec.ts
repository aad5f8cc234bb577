import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { RouterTestingHarness } from '@angular/router/testing';

import { COMMAND_API, signInAs, testProviders } from '../../testing';

describe('RocketsPage', () => {
  let harness: RouterTestingHarness;
  let http: HttpTestingController;

  beforeEach(async () => {
    sessionStorage.clear();
    signInAs('operations');
    TestBed.configureTestingModule({ providers: testProviders() });
    http = TestBed.inject(HttpTestingController);
    harness = await RouterTestingHarness.create('/rockets');
  });

  afterEach(() => {
    http.verify();
    localStorage.clear();
  });

  const root = () => harness.routeNativeElement as HTMLElement;
  const type = (selector: string, value: string) => {
    const input = root().querySelector<HTMLInputElement>(selector)!;
    input.value = value;
    input.dispatchEvent(new Event('input'));
  };
  const submit = () => root().querySelector<HTMLFormElement>('form')!.dispatchEvent(new Event('submit'));
  const settle = async () => {
    await harness.fixture.whenStable();
    harness.fixture.detectChanges();
  };

  it('registers a rocket and lists it with its id', async () => {
    type('#rocket-name', 'Selene IV');
    type('#rocket-capacity', '6');
    submit();
    const request = http.expectOne(`${COMMAND_API}/v1/rockets`);
    expect(request.request.body).toEqual({ name: 'Selene IV', capacity: 6, range: 'moon' });
    request.flush({ rocket_id: 'r-1', name: 'Selene IV', capacity: 6, range: 'moon', version: 1 });
    await settle();
    expect(root().querySelector('[data-testid="registered"]')?.textContent).toContain('Selene IV is registered');
    expect(root().querySelector('tbody tr')?.textContent).toContain('r-1');
  });

  it("shows the server's 422 next to its field", async () => {
    type('#rocket-name', 'Selene IV');
    type('#rocket-capacity', '6');
    submit();
    http.expectOne(`${COMMAND_API}/v1/rockets`).flush(
      { type: '/problems/validation', title: 'Invalid', status: 422, detail: 'x', errors: [{ field: 'name', code: 'taken', message: 'A rocket has this name.' }] },
      { status: 422, statusText: 'Unprocessable' },
    );
    await settle();
    const name = root().querySelector<HTMLInputElement>('#rocket-name')!;
    expect(name.getAttribute('aria-invalid')).toBe('true');
    expect(root().querySelector(`#${name.getAttribute('aria-describedby')}`)?.textContent).toContain('A rocket has this name.');
  });

  it('checks the fields before sending anything', async () => {
    submit();
    await settle();
    expect(root().querySelector('#rocket-name-error')?.textContent).toContain('Enter the rocket’s name.');
    expect(root().querySelector('#rocket-capacity-error')?.textContent).toContain('from 1 to 10,000');
  });
});
