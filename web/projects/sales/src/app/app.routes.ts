import { Routes } from '@angular/router';

import { LaunchDetail } from './launches/launch-detail/launch-detail';
import { LaunchList } from './launches/launch-list/launch-list';
import { NotFound } from './not-found/not-found';

export const routes: Routes = [
  { path: '', component: LaunchList },
  { path: 'launches/:id', component: LaunchDetail },
  // Keep last: every path no route above knows is a 404 page.
  { path: '**', component: NotFound },
];
