import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { appConfigFromEnv, provideAppConfig } from '@astro/shared';

import { RocketRegistry, parseStoredRockets } from './rocket-registry';

describe('RocketRegistry', () => {
  beforeEach(() => {
    sessionStorage.clear();
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), provideAppConfig(appConfigFromEnv({}, 'backoffice'))],
    });
  });

  it('registers a rocket at the command API and lists it first, for this browser session', async () => {
    const registry = TestBed.inject(RocketRegistry);
    const http = TestBed.inject(HttpTestingController);
    const done = registry.register({ name: 'Selene IV', capacity: 6, range: 'moon' });
    const request = http.expectOne('http://127.0.0.1:8081/v1/rockets');
    expect(request.request.method).toBe('POST');
    expect(request.request.body).toEqual({ name: 'Selene IV', capacity: 6, range: 'moon' });
    request.flush({ rocket_id: 'r-1', name: 'Selene IV', capacity: 6, range: 'moon', version: 1 });
    await expect(done).resolves.toEqual({ id: 'r-1', name: 'Selene IV', capacity: 6, range: 'moon' });
    expect(registry.rockets().map((rocket) => rocket.id)).toEqual(['r-1']);
    expect(registry.complete).toBe(false);
    // A new page of the same tab finds it again.
    expect(parseStoredRockets(sessionStorage.getItem('astro.backoffice.rockets'))).toHaveLength(1);
  });

  it('ignores stored text that is not a list of rockets', () => {
    expect(parseStoredRockets('not json')).toEqual([]);
    expect(parseStoredRockets('{"id":"x"}')).toEqual([]);
    expect(parseStoredRockets('[{"id":"x","name":"X","capacity":1,"range":"moon"},{"id":3}]')).toHaveLength(1);
    expect(parseStoredRockets(null)).toEqual([]);
  });
});
