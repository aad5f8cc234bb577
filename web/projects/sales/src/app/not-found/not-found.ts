import { ChangeDetectionStrategy, Component, effect, inject, input } from '@angular/core';
import { RouterLink } from '@angular/router';

import { notFoundMeta } from '../seo/page-meta';
import { Seo } from '../seo/seo';

/**
 * "Not found", for an unknown launch or path: a friendly page, `noindex`,
 * and a 404 status on the server's response.
 */
@Component({
  selector: 'astro-not-found',
  imports: [RouterLink],
  templateUrl: './not-found.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class NotFound {
  /** What was not found (a route's `data` or the launch page). */
  readonly what = input<'launch' | 'page'>('page');

  private readonly seo = inject(Seo);

  constructor() {
    effect(() => {
      this.seo.apply(notFoundMeta(this.what()));
      this.seo.status(404);
    });
  }
}
