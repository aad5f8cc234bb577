import { ChangeDetectionStrategy, Component, DOCUMENT, DestroyRef, computed, inject, signal } from '@angular/core';
import { Problem } from '@astro/shared';
import { Api } from '@astro/shared/api/query-api/api';
import { systemStatus } from '@astro/shared/api/query-api/fn/it/system-status';
import type { StatusReport } from '@astro/shared/api/query-api/models/status-report';

import { problemOf } from '../../problem-of';
import {
  freshnessLabel,
  isStale,
  dependenciesOf,
  lagLabel,
  nextDelay,
  partTone,
  secondsSince,
  serviceLabel,
  serviceTone,
  versionOf,
} from '../status-model';

/**
 * The home page: every service's readiness and version, JetStream's
 * consumers, the projections' lag and the parked events, polled every 3 s
 * while the tab is visible (backing off while the query API fails).
 */
@Component({
  selector: 'astro-status-page',
  templateUrl: './status-page.html',
  styleUrl: './status-page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class StatusPage {
  private readonly api = inject(Api);
  private readonly document = inject(DOCUMENT);

  protected readonly report = signal<StatusReport | null>(null);
  protected readonly problem = signal<Problem | null>(null);
  /** When the browser received the last report (its own clock: `checked_at` is the server's). */
  private readonly receivedAt = signal<number | null>(null);
  private readonly now = signal(Date.now());
  private readonly failures = signal(0);
  protected readonly paused = signal(false);

  protected readonly serviceTone = serviceTone;
  protected readonly serviceLabel = serviceLabel;
  protected readonly partTone = partTone;
  protected readonly lagLabel = lagLabel;
  protected readonly versionOf = versionOf;
  protected readonly dependenciesOf = dependenciesOf;

  protected readonly age = computed(() => {
    const at = this.receivedAt();
    return at === null ? null : secondsSince(at, this.now());
  });
  protected readonly freshness = computed(() => {
    const age = this.age();
    return age === null ? 'not loaded yet' : freshnessLabel(age);
  });
  protected readonly stale = computed(() => {
    const age = this.age();
    return age !== null && isStale(age);
  });
  protected readonly down = computed(() => this.report()?.services.filter((s) => serviceTone(s.status) === 'bad') ?? []);
  /** What a screen reader hears: only a change of what is down, not every poll. */
  protected readonly announcement = computed(() => {
    const down = this.down();
    if (!this.report()) {
      return '';
    }
    return down.length === 0 ? 'Every service is ready.' : `Down: ${down.map((s) => s.name).join(', ')}.`;
  });

  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight = false;

  constructor() {
    const clock = setInterval(() => this.now.set(Date.now()), 1000);
    const onVisibility = () => this.visibilityChanged();
    this.document.addEventListener('visibilitychange', onVisibility);
    inject(DestroyRef).onDestroy(() => {
      clearInterval(clock);
      clearTimeout(this.timer);
      this.document.removeEventListener('visibilitychange', onVisibility);
    });
    void this.poll();
  }

  /** Asks again now (the "Refresh now" button). */
  protected refresh(): void {
    clearTimeout(this.timer);
    void this.poll();
  }

  private visibilityChanged(): void {
    clearTimeout(this.timer);
    // A hidden tab polls nothing: many consoles left open must not load the system.
    if (this.document.visibilityState === 'hidden') {
      this.paused.set(true);
      return;
    }
    this.paused.set(false);
    void this.poll();
  }

  private async poll(): Promise<void> {
    if (this.inFlight) {
      return;
    }
    this.inFlight = true;
    try {
      this.report.set(await this.api.invoke(systemStatus));
      this.receivedAt.set(Date.now());
      this.now.set(Date.now());
      this.problem.set(null);
      this.failures.set(0);
    } catch (error) {
      this.problem.set(problemOf(error));
      this.failures.update((n) => n + 1);
    } finally {
      this.inFlight = false;
    }
    if (this.document.visibilityState !== 'hidden') {
      this.timer = setTimeout(() => void this.poll(), nextDelay(this.failures()));
    }
  }
}
