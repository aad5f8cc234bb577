import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Session } from '@astro/shared';
import { TEST_CONFIG, configureSignOn, tokens } from '@astro/shared/lib/session/testing/sign-on-testing';

import { LogoutPage } from './logout-page';

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe('the sign-out page', () => {
  it('revokes the auth app session and says the user is signed out, with a link to the sales site', async () => {
    localStorage.clear();
    configureSignOn({ interceptor: false });
    TestBed.inject(Session).establish(tokens());
    const fixture = TestBed.createComponent(LogoutPage);
    fixture.detectChanges();
    await nextTask();
    TestBed.inject(HttpTestingController)
      .expectOne(`${TEST_CONFIG.authApiUrl}/v1/auth/logout`)
      .flush('', { status: 204, statusText: 'No Content' });
    await nextTask();
    await fixture.whenStable();
    fixture.detectChanges();
    const page = fixture.nativeElement as HTMLElement;
    expect(page.querySelector('h1')?.textContent).toBe('You are signed out');
    expect(page.querySelector('a')?.getAttribute('href')).toBe(TEST_CONFIG.salesUrl);
    expect(TestBed.inject(Session).signedIn()).toBe(false);
  });
});
