import { ChangeDetectionStrategy, Component, computed, effect, inject, input, resource } from '@angular/core';
import { RouterLink } from '@angular/router';
import { destinationLabel, formatDeparture, formatMoney } from '@astro/shared';
import { Api } from '@astro/shared/api/query-api/api';
import { get } from '@astro/shared/api/query-api/fn/launches/get';

import { NotFound } from '../../not-found/not-found';
import { isLaunchId, isNotFound, problemOf } from '../../problem-of';
import { launchHeading, launchPageMeta } from '../../seo/page-meta';
import { Seo } from '../../seo/seo';
import { VIEWER_TIME_ZONE } from '../../viewer-time-zone';
import { StatusBadge } from '../status-badge/status-badge';

/** A launch's page (`/launches/:id`): everything about it, and the way to book. */
@Component({
  selector: 'astro-launch-detail',
  imports: [RouterLink, NotFound, StatusBadge],
  templateUrl: './launch-detail.html',
  styleUrl: './launch-detail.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class LaunchDetail {
  /** The launch id, from the route. */
  readonly id = input.required<string>();

  private readonly api = inject(Api);
  private readonly seo = inject(Seo);
  private readonly viewerZone = inject(VIEWER_TIME_ZONE);

  protected readonly launch = resource({
    // A malformed id is not asked for: it is not found, as the API would say.
    params: () => (isLaunchId(this.id()) ? this.id() : undefined),
    loader: ({ params }) => this.api.invoke(get, { launch_id: params }),
  });

  protected readonly problem = computed(() => (this.launch.error() ? problemOf(this.launch.error()) : null));
  protected readonly notFound = computed(() => !isLaunchId(this.id()) || isNotFound(this.problem()));
  protected readonly value = computed(() => (this.launch.hasValue() ? this.launch.value() : null));

  protected readonly heading = computed(() => {
    const launch = this.value();
    return launch ? launchHeading(launch) : '';
  });
  protected readonly destination = computed(() => destinationLabel(this.value()?.destination ?? ''));
  protected readonly departure = computed(() => {
    const launch = this.value();
    return launch ? formatDeparture(launch.departure_at, launch.spaceport, this.viewerZone) : '';
  });
  protected readonly price = computed(() => formatMoney(this.value()?.price_per_seat_cents ?? 0));

  constructor() {
    effect(() => {
      const launch = this.value();
      if (launch) {
        this.seo.apply(launchPageMeta(launch));
      } else if (this.problem() && !this.notFound()) {
        this.seo.status(503);
      }
    });
  }

  protected retry(): void {
    this.launch.reload();
  }
}
