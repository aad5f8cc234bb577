import { inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';

import { Session, SessionUser } from './session';

/** Lets a signed-in user through; anyone else is sent to sign in and comes back here after. */
export const signedInGuard: CanActivateFn = (_route, state) => {
  const session = inject(Session);
  if (session.signedIn()) {
    return true;
  }
  void session.signIn(state.url);
  return false;
};

/**
 * Lets through a signed-in user of one of `roles`; sends anyone else to
 * sign in, and a user of another role to the home page.
 */
export function roleGuard(...roles: SessionUser['role'][]): CanActivateFn {
  return (_route, state) => {
    const session = inject(Session);
    const user = session.user();
    if (user === null) {
      void session.signIn(state.url);
      return false;
    }
    return roles.includes(user.role) ? true : inject(Router).parseUrl('/');
  };
}

/**
 * Lets through a signed-in employee of one of `departments` (the IT
 * console: `it`; the backoffice: `operations`, `finance`); sends anyone
 * else to sign in, and a signed-in user of another role or department to
 * `/forbidden`, which says whose app it is (never a loop back here).
 */
export function departmentGuard(...departments: string[]): CanActivateFn {
  return (_route, state) => {
    const session = inject(Session);
    const user = session.user();
    if (user === null) {
      void session.signIn(state.url);
      return false;
    }
    const allowed = user.role === 'employee' && user.department !== undefined && departments.includes(user.department);
    return allowed ? true : inject(Router).parseUrl('/forbidden');
  };
}
