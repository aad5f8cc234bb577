import { ChangeDetectionStrategy, Component, computed, effect, inject, resource } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { ActivatedRoute, ParamMap, Router, RouterLink } from '@angular/router';
import { Api } from '@astro/shared/api/query-api/api';
import { list } from '@astro/shared/api/query-api/fn/launches/list';

import { problemOf } from '../../problem-of';
import { listPageMeta } from '../../seo/page-meta';
import { Seo } from '../../seo/seo';
import { LaunchCard } from '../launch-card/launch-card';
import { LaunchFilters } from '../launch-filters/launch-filters';
import {
  LaunchQuery,
  isFiltered,
  launchListPath,
  pageCount,
  parseLaunchQuery,
  serializeLaunchQuery,
  toListParams,
} from '../launch-query';

/** The router's query parameters as plain values (every value of a repeated name). */
function rawParams(map: ParamMap): Record<string, string[]> {
  return Object.fromEntries(map.keys.map((key) => [key, map.getAll(key)]));
}

/**
 * The home page: bookable launches with free seats, filtered, ordered and
 * paged by the URL's query (rendered on the server for crawlers).
 */
@Component({
  selector: 'astro-launch-list',
  imports: [RouterLink, LaunchCard, LaunchFilters],
  templateUrl: './launch-list.html',
  styleUrl: './launch-list.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class LaunchList {
  private readonly api = inject(Api);
  private readonly router = inject(Router);
  private readonly seo = inject(Seo);
  private readonly params = toSignal(inject(ActivatedRoute).queryParamMap, { requireSync: true });

  /** The state the URL asks for. */
  protected readonly query = computed(() => parseLaunchQuery(rawParams(this.params())), {
    // An unrelated parameter (e.g. utm_source) must not refetch.
    equal: (a, b) => launchListPath(a) === launchListPath(b),
  });

  protected readonly launches = resource({
    params: () => this.query(),
    loader: ({ params }) => this.api.invoke(list, toListParams(params)),
  });

  protected readonly problem = computed(() => (this.launches.error() ? problemOf(this.launches.error()) : null));
  protected readonly page = computed(() => (this.launches.hasValue() ? this.launches.value() : null));
  protected readonly pages = computed(() => pageCount(this.page()?.total ?? 0));
  protected readonly filtered = computed(() => isFiltered(this.query()));
  protected readonly count = computed(() => {
    const total = this.page()?.total ?? 0;
    return total === 1 ? '1 launch' : `${total} launches`;
  });
  /** What a screen reader hears when the results change. */
  protected readonly announcement = computed(() => {
    if (this.launches.isLoading()) {
      return 'Loading launches…';
    }
    return this.page() ? `${this.count()} found` : '';
  });

  constructor() {
    effect(() => this.seo.apply(listPageMeta(this.query())));
    effect(() => {
      if (this.problem()) {
        // Crawlers must not keep an error page as the launches.
        this.seo.status(503);
      }
    });
  }

  /** The URL's parameters of page `page` under the current filters. */
  protected pageParams(page: number): Record<string, string> {
    return serializeLaunchQuery({ ...this.query(), page });
  }

  /** The first page's parameters, to leave a page past the last one. */
  protected firstPageParams(): Record<string, string> {
    return this.pageParams(1);
  }

  protected show(query: LaunchQuery): void {
    void this.router.navigate(['/'], { queryParams: serializeLaunchQuery(query) });
  }

  protected retry(): void {
    this.launches.reload();
  }
}
