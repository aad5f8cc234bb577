import { ChangeDetectionStrategy, Component, computed, inject, input } from '@angular/core';
import { RouterLink } from '@angular/router';
import { destinationLabel, formatDeparture, formatMoney, seatsLeftLabel } from '@astro/shared';
import type { Launch } from '@astro/shared/api/query-api/models/launch';

import { VIEWER_TIME_ZONE } from '../../viewer-time-zone';
import { StatusBadge } from '../status-badge/status-badge';

/** One launch of the list: what it is, when, for how much, and a link to it. */
@Component({
  selector: 'astro-launch-card',
  imports: [RouterLink, StatusBadge],
  templateUrl: './launch-card.html',
  styleUrl: './launch-card.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class LaunchCard {
  /** The launch, as the query API lists it. */
  readonly launch = input.required<Launch>();

  private readonly viewerZone = inject(VIEWER_TIME_ZONE);

  protected readonly destination = computed(() => destinationLabel(this.launch().destination));
  protected readonly departure = computed(() =>
    formatDeparture(this.launch().departure_at, this.launch().spaceport, this.viewerZone),
  );
  protected readonly price = computed(() => formatMoney(this.launch().price_per_seat_cents));
  protected readonly seatsLeft = computed(() => seatsLeftLabel(this.launch().free_seats));
}
