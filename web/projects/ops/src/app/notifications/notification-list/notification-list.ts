import { ChangeDetectionStrategy, Component, computed, inject, resource } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { ActivatedRoute, ParamMap, Router, RouterLink } from '@angular/router';
import { Api } from '@astro/shared/api/query-api/api';
import { listNotifications } from '@astro/shared/api/query-api/fn/it/list-notifications';
import { notificationsSummary } from '@astro/shared/api/query-api/fn/it/notifications-summary';

import { problemOf } from '../../problem-of';
import { utcLabel } from '../../time-label';
import { NotificationFilters } from '../notification-filters/notification-filters';
import {
  NotificationQuery,
  pageCount,
  parseNotificationQuery,
  sameQuery,
  serializeNotificationQuery,
  toListParams,
} from '../notification-query';
import { RequeueDead } from '../requeue-dead/requeue-dead';
import { SummaryChart } from '../summary-chart/summary-chart';
import { statusLabel, summaryBars } from '../summary-chart-data';

/** The router's query parameters as plain values (every value of a repeated name). */
function rawParams(map: ParamMap): Record<string, string[]> {
  return Object.fromEntries(map.keys.map((key) => [key, map.getAll(key)]));
}

/**
 * `/notifications`: the counts by status (with a chart), the list filtered
 * and paged by the URL, and the bulk re-queue of the dead ones.
 */
@Component({
  selector: 'astro-notification-list',
  imports: [RouterLink, NotificationFilters, RequeueDead, SummaryChart],
  templateUrl: './notification-list.html',
  styleUrl: './notification-list.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class NotificationList {
  private readonly api = inject(Api);
  private readonly router = inject(Router);
  private readonly params = toSignal(inject(ActivatedRoute).queryParamMap, { requireSync: true });

  /** The state the URL asks for. */
  protected readonly query = computed(() => parseNotificationQuery(rawParams(this.params())), { equal: sameQuery });

  protected readonly summary = resource({ loader: () => this.api.invoke(notificationsSummary) });
  protected readonly list = resource({
    params: () => this.query(),
    loader: ({ params }) => this.api.invoke(listNotifications, toListParams(params)),
  });

  protected readonly bars = computed(() => (this.summary.hasValue() ? summaryBars(this.summary.value()) : null));
  protected readonly summaryProblem = computed(() => (this.summary.error() ? problemOf(this.summary.error()) : null));
  protected readonly listProblem = computed(() => (this.list.error() ? problemOf(this.list.error()) : null));
  protected readonly page = computed(() => (this.list.hasValue() ? this.list.value() : null));
  protected readonly pages = computed(() => pageCount(this.page()?.total ?? 0));
  protected readonly count = computed(() => {
    const total = this.page()?.total ?? 0;
    return total === 1 ? '1 notification' : `${total} notifications`;
  });
  protected readonly announcement = computed(() =>
    this.list.isLoading() ? 'Loading notifications…' : this.page() ? `${this.count()} found` : '',
  );
  protected readonly statusLabel = statusLabel;
  protected readonly utcLabel = utcLabel;

  /** The URL's parameters of page `page` under the current filters. */
  protected pageParams(page: number): Record<string, string> {
    return serializeNotificationQuery({ ...this.query(), page });
  }

  protected show(query: NotificationQuery): void {
    void this.router.navigate(['/notifications'], { queryParams: serializeNotificationQuery(query) });
  }

  protected reload(): void {
    this.summary.reload();
    this.list.reload();
  }
}
