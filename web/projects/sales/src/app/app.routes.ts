import { Routes } from '@angular/router';

import { signedInGuard } from './account/signed-in.guard';

export const routes: Routes = [
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
];
