import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { ActivatedRouteSnapshot, RouterStateSnapshot } from '@angular/router';
import { Session } from '@astro/shared';

import { signedInGuard } from './signed-in.guard';

describe('the signed-in guard', () => {
  function run(signedIn: boolean) {
    const signIn = jest.fn().mockResolvedValue(undefined);
    TestBed.configureTestingModule({
      providers: [{ provide: Session, useValue: { signedIn: signal(signedIn), signIn } }],
    });
    const result = TestBed.runInInjectionContext(() =>
      signedInGuard({} as ActivatedRouteSnapshot, { url: '/bookings?page=2' } as RouterStateSnapshot),
    );
    return { result, signIn };
  }

  it('lets a signed-in user through without asking to sign in', () => {
    const { result, signIn } = run(true);
    expect(result).toBe(true);
    expect(signIn).not.toHaveBeenCalled();
  });

  it('sends anyone else to sign in, coming back to the page they asked for', () => {
    const { result, signIn } = run(false);
    expect(result).toBe(false);
    expect(signIn).toHaveBeenCalledWith('/bookings?page=2');
  });
});
