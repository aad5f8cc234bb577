import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { launchStatusLabel } from '@astro/shared';

/** A launch's status as a coloured badge ("Confirmed", "Delayed", …). */
@Component({
  selector: 'astro-status-badge',
  templateUrl: './status-badge.html',
  styleUrl: './status-badge.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class StatusBadge {
  /** The API's status, e.g. `confirmed`. */
  readonly status = input.required<string>();

  protected readonly label = computed(() => launchStatusLabel(this.status()));
}
