import { inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';
import { Session } from '@astro/shared';

import { departmentMayOpen, homePathFor } from './department-nav';

/** Home: sends the employee to their department's first page. */
export const homeRedirect: CanActivateFn = () =>
  inject(Router).parseUrl(homePathFor(inject(Session).user()?.department));

/**
 * Lets through the employees of `owner` only; another backoffice department
 * goes to its own first page (the server refuses their calls anyway).
 */
export function departmentPage(owner: string): CanActivateFn {
  return () => {
    const department = inject(Session).user()?.department;
    return departmentMayOpen(department, owner) ? true : inject(Router).parseUrl(homePathFor(department));
  };
}
