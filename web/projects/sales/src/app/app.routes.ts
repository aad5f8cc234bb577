import { Routes } from '@angular/router';
import { SignInCallback } from '@astro/shared';

export const routes: Routes = [
  // Where the auth app sends the user back with the authorization code.
  { path: 'auth/callback', component: SignInCallback, title: 'Signing in — Astro Bookings' },
];
