import { inject } from '@angular/core';
import { CanActivateFn } from '@angular/router';
import { Session } from '@astro/shared';

/**
 * Lets a signed-in user through; anyone else is sent to sign in, and comes
 * back to the page they asked for. The sign-on work may replace it with the
 * shared auth guard.
 */
export const signedInGuard: CanActivateFn = (_route, state) => {
  const session = inject(Session);
  if (session.signedIn()) {
    return true;
  }
  // signIn leaves the page; should it fail, the user stays where they were.
  session.signIn(state.url).catch((error: unknown) => console.error('sign-in could not start', error));
  return false;
};
