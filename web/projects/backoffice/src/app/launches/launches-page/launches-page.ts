import { ChangeDetectionStrategy, Component, computed, effect, inject, resource, signal, untracked } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule } from '@angular/forms';
import { ActivatedRoute, ParamMap, Router, RouterLink } from '@angular/router';
import { destinationLabel, formatDeparture, formatMoney, launchStatusLabel, toProblem } from '@astro/shared';
import type { LaunchReply } from '@astro/shared/api/command-api/models/launch-reply';
import { Api } from '@astro/shared/api/query-api/api';
import { list } from '@astro/shared/api/query-api/fn/launches/list';
import type { Launch } from '@astro/shared/api/query-api/models/launch';

import { ActionDone, LaunchActionPanel } from '../launch-action/launch-action';
import { ACTIONS, LaunchAction, actionsFor, outcomeMessage } from '../launch-actions';
import {
  AdminLaunchQuery,
  AdminSort,
  DESTINATIONS,
  SORTS,
  minVersionOf,
  pageCount,
  parseAdminQuery,
  serializeAdminQuery,
  toAdminListParams,
} from '../launch-admin-query';
import { ScheduleForm } from '../schedule-form/schedule-form';

function rawParams(map: ParamMap): Record<string, string[]> {
  return Object.fromEntries(map.keys.map((key) => [key, map.getAll(key)]));
}

/**
 * Operations' launches: every launch whatever its status, filtered and paged
 * by the URL; scheduling; each launch's lifecycle commands behind a
 * confirmation; the list read again after a command with the version it
 * answered (read-your-writes).
 */
@Component({
  selector: 'astro-launches-page',
  imports: [ReactiveFormsModule, RouterLink, ScheduleForm, LaunchActionPanel],
  templateUrl: './launches-page.html',
  styleUrl: './launches-page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class LaunchesPage {
  private readonly api = inject(Api);
  private readonly router = inject(Router);
  private readonly params = toSignal(inject(ActivatedRoute).queryParamMap, { requireSync: true });

  protected readonly destinations = DESTINATIONS.map((value) => ({ value, label: destinationLabel(value) }));
  protected readonly sorts = SORTS;
  protected readonly formatMoney = formatMoney;
  protected readonly destinationLabel = destinationLabel;
  protected readonly launchStatusLabel = launchStatusLabel;
  protected readonly actionLabel = (action: LaunchAction) => ACTIONS[action].label;
  protected readonly actionsFor = actionsFor;

  protected readonly query = computed(() => parseAdminQuery(rawParams(this.params())), {
    equal: (a, b) => JSON.stringify(serializeAdminQuery(a)) === JSON.stringify(serializeAdminQuery(b)),
  });

  /** The version the last command answered, so that the next read shows it. */
  private readonly minVersion = signal<string | null>(null);

  protected readonly launches = resource({
    params: () => ({ query: this.query(), minVersion: this.minVersion() }),
    loader: ({ params }) => this.api.invoke(list, toAdminListParams(params.query, params.minVersion)),
  });
  protected readonly page = computed(() => (this.launches.hasValue() ? this.launches.value() : null));
  protected readonly pages = computed(() => pageCount(this.page()?.total ?? 0));
  protected readonly loadProblem = computed(() => (this.launches.error() ? toProblem(this.launches.error()) : null));

  protected readonly scheduling = signal(false);
  protected readonly pending = signal<{ readonly launch: Launch; readonly action: LaunchAction } | null>(null);
  protected readonly outcome = signal<string | null>(null);

  protected readonly filters = new FormGroup({
    destination: new FormControl('', { nonNullable: true }),
    from: new FormControl('', { nonNullable: true }),
    to: new FormControl('', { nonNullable: true }),
    sort: new FormControl<AdminSort>('departure', { nonNullable: true }),
  });

  constructor() {
    // The filter form follows the URL (back and forward, shared links).
    effect(() => {
      const query = this.query();
      untracked(() =>
        this.filters.setValue({ destination: query.destination ?? '', from: query.from ?? '', to: query.to ?? '', sort: query.sort }),
      );
    });
  }

  /** Where the launch departs, at the spaceport and for the viewer. */
  protected departure(launch: Launch): string {
    return formatDeparture(launch.departure_at, launch.spaceport, Intl.DateTimeFormat().resolvedOptions().timeZone);
  }

  protected applyFilters(): void {
    const value = this.filters.getRawValue();
    const query = parseAdminQuery({ ...value, page: '1' });
    void this.router.navigate(['/launches'], { queryParams: serializeAdminQuery(query) });
  }

  /** The URL's parameters of page `page` under the current filters. */
  protected pageParams(page: number): Record<string, string> {
    return serializeAdminQuery({ ...this.query(), page } satisfies AdminLaunchQuery);
  }

  protected ask(launch: Launch, action: LaunchAction): void {
    this.outcome.set(null);
    this.pending.set({ launch, action });
  }

  protected onScheduled(reply: LaunchReply): void {
    this.scheduling.set(false);
    this.outcome.set('Launch scheduled. Confirm it to open it for sale.');
    this.refreshWith(reply);
  }

  protected onDone({ action, reply }: ActionDone): void {
    this.pending.set(null);
    this.outcome.set(outcomeMessage(action, reply));
    this.refreshWith(reply);
  }

  protected retry(): void {
    this.launches.reload();
  }

  private refreshWith(reply: LaunchReply): void {
    const minVersion = minVersionOf(reply);
    if (minVersion === this.minVersion()) {
      this.launches.reload();
    } else {
      this.minVersion.set(minVersion);
    }
  }
}
