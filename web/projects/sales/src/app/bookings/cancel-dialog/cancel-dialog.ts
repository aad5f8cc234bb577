import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  PendingTasks,
  afterNextRender,
  computed,
  inject,
  input,
  output,
  signal,
} from '@angular/core';
import { Problem, formatMoney, toProblem } from '@astro/shared';
import { Api as CommandApi } from '@astro/shared/api/command-api/api';
import { cancel } from '@astro/shared/api/command-api/fn/bookings/cancel';
import { CancellationReply } from '@astro/shared/api/command-api/models/cancellation-reply';
import { Booking } from '@astro/shared/api/query-api/models/booking';

import { problemMessage } from '../../account/problem-message';
import { refundPreview } from '../refund-policy';

/**
 * The confirmation before cancelling a booking: it shows the refund the
 * policy gives now, then cancels and hands the server's answer on.
 */
@Component({
  selector: 'astro-cancel-dialog',
  templateUrl: './cancel-dialog.html',
  styleUrl: './cancel-dialog.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CancelDialog {
  /** The booking to cancel (with its launch). */
  readonly booking = input.required<Booking>();
  /** The instant the preview is for; now by default. */
  readonly now = input<Date>(new Date());
  /** The server cancelled the booking; its answer (the refund paid). */
  readonly cancelled = output<CancellationReply>();
  /** The holder kept the booking. */
  readonly dismissed = output<void>();

  private readonly commandApi = inject(CommandApi);
  private readonly pendingTasks = inject(PendingTasks);
  // One key per opening of the dialog: a double click or a retry cancels once.
  private readonly idempotencyKey = crypto.randomUUID();

  protected readonly sending = signal(false);
  protected readonly problem = signal<Problem | null>(null);
  protected readonly formatMoney = formatMoney;
  protected readonly problemMessage = problemMessage;

  protected readonly preview = computed(() => {
    const booking = this.booking();
    return booking.launch ? refundPreview(booking, booking.launch, this.now()) : null;
  });

  constructor() {
    const host = inject<ElementRef<HTMLElement>>(ElementRef);
    afterNextRender(() => host.nativeElement.querySelector<HTMLElement>('h2')?.focus());
  }

  protected confirm(): void {
    if (this.sending()) {
      return;
    }
    this.sending.set(true);
    this.problem.set(null);
    void this.pendingTasks.run(async () => {
      try {
        const booking = this.booking();
        const reply = await this.commandApi.invoke(cancel, {
          launch_id: booking.launch_id,
          booking_id: booking.booking_id,
          'Idempotency-Key': this.idempotencyKey,
        });
        this.cancelled.emit(reply);
      } catch (error) {
        this.problem.set(toProblem(error));
      } finally {
        this.sending.set(false);
      }
    });
  }
}
