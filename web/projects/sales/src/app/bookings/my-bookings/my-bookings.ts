import { ChangeDetectionStrategy, Component, computed, inject, resource, signal } from '@angular/core';
import { Session, bookingStatusLabel, destinationLabel, formatDeparture, formatMoney, launchStatusLabel } from '@astro/shared';
import { CancellationReply } from '@astro/shared/api/command-api/models/cancellation-reply';
import { Api as QueryApi } from '@astro/shared/api/query-api/api';
import { mine } from '@astro/shared/api/query-api/fn/bookings/mine';
import { Booking } from '@astro/shared/api/query-api/models/booking';
import { BookingStatusName } from '@astro/shared/api/query-api/models/booking-status-name';

import { seatsLabel } from '../../booking/booking-plan';
import { CancelDialog } from '../cancel-dialog/cancel-dialog';
import { VIEWER_TIME_ZONE } from '../../viewer-time-zone';
import { canCancel } from '../refund-policy';

/** Bookings per page. */
export const PAGE_SIZE = 10;

/** The holder's bookings (`/bookings`): filter by status, pages, cancellation. */
@Component({
  selector: 'astro-my-bookings',
  imports: [CancelDialog],
  templateUrl: './my-bookings.html',
  styleUrl: './my-bookings.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class MyBookings {
  private readonly queryApi = inject(QueryApi);
  protected readonly session = inject(Session);

  protected readonly status = signal<BookingStatusName | ''>('');
  protected readonly page = signal(1);
  /** `<launch_id>:<version>` after a cancellation, so the list shows it at once. */
  private readonly minVersion = signal<string | undefined>(undefined);

  protected readonly bookings = resource({
    params: () => ({
      status: this.status() || undefined,
      page: this.page(),
      page_size: PAGE_SIZE,
      'Astro-Min-Version': this.minVersion(),
    }),
    loader: ({ params }) => this.queryApi.invoke(mine, params),
  });

  protected readonly pages = computed(() =>
    this.bookings.hasValue() ? Math.max(1, Math.ceil(this.bookings.value().total / PAGE_SIZE)) : 1,
  );
  protected readonly cancelling = signal<string | null>(null);
  protected readonly lastCancellation = signal<CancellationReply | null>(null);
  protected readonly isAgency = computed(() => this.session.user()?.role === 'agency');

  private readonly viewerZone = inject(VIEWER_TIME_ZONE);

  protected readonly formatMoney = formatMoney;
  protected readonly destinationLabel = destinationLabel;
  protected readonly bookingStatusLabel = bookingStatusLabel;
  protected readonly launchStatusLabel = launchStatusLabel;
  protected readonly seatsLabel = seatsLabel;

  /** A launch's departure at its spaceport, and in the viewer's time zone. */
  protected departure(launch: NonNullable<Booking['launch']>): string {
    return formatDeparture(launch.departure_at, launch.spaceport, this.viewerZone);
  }

  /** Whether the holder may cancel `booking` now. */
  protected cancellable(booking: Booking): boolean {
    return canCancel(booking, booking.launch, new Date());
  }

  /** The passengers' names, in booking order. */
  protected names(booking: Booking): string {
    return booking.passengers.map((passenger) => passenger.name).join(', ');
  }

  protected filter(value: string): void {
    this.status.set(value === 'active' || value === 'cancelled' ? value : '');
    this.page.set(1);
  }

  protected goTo(page: number): void {
    this.page.set(Math.min(Math.max(1, page), this.pages()));
  }

  protected onCancelled(reply: CancellationReply): void {
    this.cancelling.set(null);
    this.lastCancellation.set(reply);
    this.minVersion.set(`${reply.launch_id}:${reply.version}`);
    this.bookings.reload();
  }
}
