import { Routes } from '@angular/router';
import { Forbidden, SignInCallback, SignInStart, departmentGuard } from '@astro/shared';

import { StatusPage } from './status/status-page/status-page';

export const routes: Routes = [
  { path: 'sign-in', component: SignInStart, title: 'Signing in — IT console' },
  // Where the auth app sends the user back with the authorization code.
  { path: 'auth/callback', component: SignInCallback, title: 'Signing in — IT console' },
  {
    path: 'forbidden',
    component: Forbidden,
    title: 'Not for your account — IT console',
    data: { appFor: 'The IT console is for employees of IT.' },
  },
  {
    path: '',
    canActivateChild: [departmentGuard('it')],
    children: [
      { path: '', component: StatusPage, title: 'System status — IT console' },
      // Loaded on demand: the chart library stays out of the first page's bundle.
      {
        path: 'notifications',
        loadComponent: () => import('./notifications/notification-list/notification-list').then((m) => m.NotificationList),
        title: 'Notifications — IT console',
      },
      {
        path: 'notifications/:id',
        loadComponent: () =>
          import('./notifications/notification-detail/notification-detail').then((m) => m.NotificationDetail),
        title: 'Notification — IT console',
      },
    ],
  },
];
