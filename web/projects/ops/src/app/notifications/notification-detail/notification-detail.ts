import { ChangeDetectionStrategy, Component, computed, inject, input, resource, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { Problem, problemCode } from '@astro/shared';
import { Api } from '@astro/shared/api/query-api/api';
import { getNotification } from '@astro/shared/api/query-api/fn/it/get-notification';
import { retryNotification } from '@astro/shared/api/query-api/fn/it/retry-notification';
import type { Notification } from '@astro/shared/api/query-api/models/notification';

import { problemOf } from '../../problem-of';
import { utcLabel } from '../../time-label';
import { statusLabel } from '../summary-chart-data';

/**
 * What to say when a re-queue is refused: a 409 (`not-retryable`: it is
 * sent, pending or being sent) leads with the outcome, then the API's reason.
 */
export function requeueRefusal(problem: Problem): string {
  if (problem.status === 409 || problemCode(problem) === 'not-retryable') {
    const reason = problem.detail.charAt(0).toUpperCase() + problem.detail.slice(1);
    return `This notification cannot be re-queued now. ${reason}${/[.!?]$/.test(reason) ? '' : '.'}`;
  }
  return problem.detail;
}

/** How often IT re-queued a notification: `never`, `once`, `3 times`. */
export function requeuedLabel(times: number): string {
  if (times <= 0) {
    return 'never';
  }
  return times === 1 ? 'once' : `${times} times`;
}

/** `/notifications/:id`: one notification, its attempts and last error, and "Re-queue". */
@Component({
  selector: 'astro-notification-detail',
  imports: [RouterLink],
  templateUrl: './notification-detail.html',
  styleUrl: './notification-detail.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class NotificationDetail {
  /** The notification's id (from the route). */
  readonly id = input.required<string>();

  private readonly api = inject(Api);
  protected readonly notification = resource({
    params: () => ({ id: this.id() }),
    loader: ({ params }) => this.api.invoke(getNotification, params),
  });
  /** The notification as the re-queue answered it, over the one loaded. */
  private readonly requeuedAs = signal<Notification | null>(null);
  protected readonly shown = computed(() => this.requeuedAs() ?? (this.notification.hasValue() ? this.notification.value() : null));
  protected readonly loadProblem = computed(() => (this.notification.error() ? problemOf(this.notification.error()) : null));
  protected readonly requeueProblem = signal<Problem | null>(null);
  protected readonly sending = signal(false);
  protected readonly done = signal(false);
  protected readonly statusLabel = statusLabel;
  protected readonly utcLabel = utcLabel;
  protected readonly requeueRefusal = requeueRefusal;
  protected readonly requeuedLabel = requeuedLabel;

  protected async requeue(): Promise<void> {
    if (this.sending()) {
      return;
    }
    this.sending.set(true);
    this.requeueProblem.set(null);
    this.done.set(false);
    try {
      this.requeuedAs.set(await this.api.invoke(retryNotification, { id: this.id() }));
      this.done.set(true);
    } catch (error) {
      this.requeueProblem.set(problemOf(error));
    } finally {
      this.sending.set(false);
    }
  }
}
