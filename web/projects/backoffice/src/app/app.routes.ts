import { Routes } from '@angular/router';
import { Forbidden, SignInCallback, SignInStart, departmentGuard } from '@astro/shared';

import { InvoicePage } from './invoices/invoice-page/invoice-page';
import { InvoicesPage } from './invoices/invoices-page/invoices-page';
import { LaunchesPage } from './launches/launches-page/launches-page';
import { departmentPage, homeRedirect } from './navigation/department-guards';
import { RocketsPage } from './rockets/rockets-page/rockets-page';

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
    children: [
      // The guard above runs first: nobody is redirected before signing in.
      { path: '', pathMatch: 'full', canActivate: [homeRedirect], children: [] },
      {
        path: 'launches',
        component: LaunchesPage,
        canActivate: [departmentPage('operations')],
        title: 'Launches — Backoffice',
        runGuardsAndResolvers: 'always',
      },
      { path: 'rockets', component: RocketsPage, canActivate: [departmentPage('operations')], title: 'Rockets — Backoffice' },
      { path: 'invoices', component: InvoicesPage, canActivate: [departmentPage('finance')], title: 'Invoices — Backoffice' },
      {
        path: 'invoices/:number',
        component: InvoicePage,
        canActivate: [departmentPage('finance')],
        title: 'Document — Backoffice',
      },
    ],
  },
];
