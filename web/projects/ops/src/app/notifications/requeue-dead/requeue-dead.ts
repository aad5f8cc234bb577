import { ChangeDetectionStrategy, Component, effect, inject, input, output, signal } from '@angular/core';
import { Problem } from '@astro/shared';
import { Api } from '@astro/shared/api/query-api/api';
import { listNotifications } from '@astro/shared/api/query-api/fn/it/list-notifications';
import { retryNotifications } from '@astro/shared/api/query-api/fn/it/retry-notifications';

import { problemOf } from '../../problem-of';
import { NotificationQuery, toDeadCountParams, toRetryParams } from '../notification-query';

/** Where the bulk re-queue stands. */
type Step =
  | { readonly kind: 'idle' }
  | { readonly kind: 'counting' }
  | { readonly kind: 'confirm'; readonly count: number }
  | { readonly kind: 'sending'; readonly count: number }
  | { readonly kind: 'done'; readonly requeued: number };

/** `1 dead notification`, `3 dead notifications`. */
export function deadCount(count: number): string {
  return count === 1 ? '1 dead notification' : `${count} dead notifications`;
}

/**
 * "Re-queue every dead notification matching these filters": counts them
 * first (the list's total with `status=dead`), asks for a confirmation
 * that says how many, then re-queues and says how many were.
 */
@Component({
  selector: 'astro-requeue-dead',
  templateUrl: './requeue-dead.html',
  styleUrl: './requeue-dead.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RequeueDead {
  /** The list's filters (their status is ignored: only dead ones are re-queued). */
  readonly query = input.required<NotificationQuery>();
  /** Notifications were re-queued: the list and the counts are out of date. */
  readonly requeued = output<number>();

  private readonly api = inject(Api);
  protected readonly step = signal<Step>({ kind: 'idle' });
  protected readonly problem = signal<Problem | null>(null);
  protected readonly deadCount = deadCount;

  constructor() {
    // A confirmation counted under other filters must not be confirmed under these.
    effect(() => {
      this.query();
      this.step.set({ kind: 'idle' });
      this.problem.set(null);
    });
  }

  protected async start(): Promise<void> {
    this.problem.set(null);
    this.step.set({ kind: 'counting' });
    try {
      const page = await this.api.invoke(listNotifications, toDeadCountParams(this.query()));
      this.step.set({ kind: 'confirm', count: page.total });
    } catch (error) {
      this.problem.set(problemOf(error));
      this.step.set({ kind: 'idle' });
    }
  }

  protected cancel(): void {
    this.step.set({ kind: 'idle' });
  }

  protected async confirm(count: number): Promise<void> {
    this.step.set({ kind: 'sending', count });
    try {
      const answer = await this.api.invoke(retryNotifications, toRetryParams(this.query()));
      this.step.set({ kind: 'done', requeued: answer.requeued });
      this.requeued.emit(answer.requeued);
    } catch (error) {
      this.problem.set(problemOf(error));
      this.step.set({ kind: 'confirm', count });
    }
  }
}
