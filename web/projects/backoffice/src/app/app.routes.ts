import { Routes } from '@angular/router';
import { Forbidden, SignInCallback, SignInStart, departmentGuard } from '@astro/shared';

import { Home } from './home/home';

export const routes: Routes = [
  { path: 'sign-in', component: SignInStart, title: 'Signing in — Backoffice' },
  // Where the auth app sends the user back with the authorization code.
  { path: 'auth/callback', component: SignInCallback, title: 'Signing in — Backoffice' },
  {
    path: 'forbidden',
    component: Forbidden,
    title: 'Not for your account — Backoffice',
    data: { appFor: 'The backoffice is for employees of operations and finance.' },
  },
  {
    path: '',
    canActivateChild: [departmentGuard('operations', 'finance')],
    children: [{ path: '', component: Home, title: 'Backoffice — Astro Bookings' }],
  },
];
