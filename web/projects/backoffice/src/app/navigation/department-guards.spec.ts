import { TestBed } from '@angular/core/testing';
import { RouterTestingHarness } from '@angular/router/testing';
import { Router } from '@angular/router';
import { HttpTestingController } from '@angular/common/http/testing';

import { signInAs, testProviders } from '../testing';

describe('the backoffice routes by department', () => {
  afterEach(() => localStorage.clear());

  async function open(url: string): Promise<string> {
    TestBed.configureTestingModule({ providers: testProviders() });
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl(url).catch(() => undefined);
    // The pages' first reads are not what these specs check.
    TestBed.inject(HttpTestingController).match(() => true);
    return TestBed.inject(Router).url;
  }

  it("sends operations from Home to the launches", async () => {
    signInAs('operations');
    expect(await open('/')).toBe('/launches');
  });

  it('sends finance from Home to the invoices', async () => {
    signInAs('finance');
    expect(await open('/')).toBe('/invoices');
  });

  it("sends finance away from operations' pages to their own", async () => {
    signInAs('finance');
    expect(await open('/rockets')).toBe('/invoices');
  });

  it("sends operations away from finance's pages to their own", async () => {
    signInAs('operations');
    expect(await open('/invoices/INV-2027-000001')).toBe('/launches');
  });

  it('tells an IT employee the backoffice is not for them', async () => {
    signInAs('it');
    expect(await open('/launches')).toBe('/forbidden');
  });
});
