import { Routes } from '@angular/router';

import { AuthorizePage } from './authorize/authorize-page';
import { LoginPage } from './login-page/login-page';
import { LogoutPage } from './logout/logout-page';
import { RegisterPage } from './register/register-page';

export const routes: Routes = [
  { path: '', pathMatch: 'full', component: LoginPage, title: 'Sign in — Astro Bookings' },
  { path: 'login', component: LoginPage, title: 'Sign in — Astro Bookings' },
  { path: 'authorize', component: AuthorizePage, title: 'Sign in — Astro Bookings' },
  { path: 'register', component: RegisterPage, title: 'Create an account — Astro Bookings' },
  { path: 'logout', component: LogoutPage, title: 'Signed out — Astro Bookings' },
  { path: '**', redirectTo: '' },
];
