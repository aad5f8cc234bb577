import { DOCUMENT, RESPONSE_INIT } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Meta, Title } from '@angular/platform-browser';
import { appConfigFromEnv, provideAppConfig } from '@astro/shared';

import { Seo } from './seo';

describe('Seo', () => {
  function setUp(response: ResponseInit | null): Seo {
    TestBed.configureTestingModule({
      providers: [
        provideAppConfig(appConfigFromEnv({ SALES_URL: 'https://astro.example' }, 'sales')),
        ...(response ? [{ provide: RESPONSE_INIT, useValue: response }] : []),
      ],
    });
    return TestBed.inject(Seo);
  }

  const canonicals = () => TestBed.inject(DOCUMENT).head.querySelectorAll('link[rel="canonical"]');

  afterEach(() => canonicals().forEach((link) => link.remove()));

  it("writes the page's title, description and absolute canonical URL", () => {
    setUp(null).apply({ title: 'T — Astro Bookings', description: 'D', path: '/launches/1' });
    expect(TestBed.inject(Title).getTitle()).toBe('T — Astro Bookings');
    expect(TestBed.inject(Meta).getTag('name="description"')?.content).toBe('D');
    expect(canonicals()[0].getAttribute('href')).toBe('https://astro.example/launches/1');
  });

  it("replaces the previous page's canonical link rather than adding one", () => {
    const seo = setUp(null);
    seo.apply({ title: 'A', description: 'A', path: '/' });
    seo.apply({ title: 'B', description: 'B', path: '/?page=2' });
    expect(canonicals()).toHaveLength(1);
    expect(canonicals()[0].getAttribute('href')).toBe('https://astro.example/?page=2');
  });

  it('marks an error page noindex without a canonical link, and forgets it on the next page', () => {
    const seo = setUp(null);
    seo.apply({ title: 'A', description: 'A', path: '/' });
    seo.apply({ title: 'Gone', description: 'Gone', path: null, noIndex: true });
    expect(canonicals()).toHaveLength(0);
    expect(TestBed.inject(Meta).getTag('name="robots"')?.content).toBe('noindex');
    seo.apply({ title: 'B', description: 'B', path: '/' });
    expect(TestBed.inject(Meta).getTag('name="robots"')).toBeNull();
  });

  it("sets the server response's status", () => {
    const response: ResponseInit = { status: 200 };
    setUp(response).status(404);
    expect(response.status).toBe(404);
  });

  it('does nothing about the status in the browser, where there is no response', () => {
    expect(() => setUp(null).status(404)).not.toThrow();
  });
});
