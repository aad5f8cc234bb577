import { Routes } from '@angular/router';
import { SignInCallback, SignInStart, signedInGuard } from '@astro/shared';

import { LaunchDetail } from './launches/launch-detail/launch-detail';
import { LaunchList } from './launches/launch-list/launch-list';
import { NotFound } from './not-found/not-found';

export const routes: Routes = [
  { path: '', component: LaunchList },
  { path: 'launches/:id', component: LaunchDetail },
  { path: 'sign-in', component: SignInStart, title: 'Signing in — Astro Bookings' },
  // Where the auth app sends the user back with the authorization code.
  { path: 'auth/callback', component: SignInCallback, title: 'Signing in — Astro Bookings' },
  {
    path: 'launches/:id/book',
    title: 'Book seats — Astro Bookings',
    canActivate: [signedInGuard],
    loadComponent: () => import('./booking/book-page/book-page').then((m) => m.BookPage),
  },
  {
    path: 'bookings',
    title: 'My bookings — Astro Bookings',
    canActivate: [signedInGuard],
    loadComponent: () => import('./bookings/my-bookings/my-bookings').then((m) => m.MyBookings),
  },
  {
    path: 'profile',
    title: 'Your profile — Astro Bookings',
    canActivate: [signedInGuard],
    loadComponent: () => import('./profile/profile-page/profile-page').then((m) => m.ProfilePage),
  },
  // Keep last: every path no route above knows is a 404 page.
  { path: '**', component: NotFound },
];
