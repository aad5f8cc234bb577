import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  PendingTasks,
  afterNextRender,
  computed,
  inject,
  input,
  linkedSignal,
  resource,
  signal,
} from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormArray, FormControl, FormGroup, ReactiveFormsModule } from '@angular/forms';
import { RouterLink } from '@angular/router';
import {
  Problem,
  Session,
  departureParts,
  destinationLabel,
  fieldErrors,
  formatMoney,
  problemCode,
  toProblem,
} from '@astro/shared';
import { Api as CommandApi } from '@astro/shared/api/command-api/api';
import { book } from '@astro/shared/api/command-api/fn/bookings/book';
import { BookingReply } from '@astro/shared/api/command-api/models/booking-reply';
import { Api as QueryApi } from '@astro/shared/api/query-api/api';
import { get as getLaunch } from '@astro/shared/api/query-api/fn/launches/get';
import { Launch } from '@astro/shared/api/query-api/models/launch';
import { map } from 'rxjs';

import { asSentence, problemMessage } from '../../account/problem-message';
import { confirmLabel, conflictMessage, seatsLabel, totalCents } from '../booking-plan';
import { IdempotencyKeys } from '../idempotency';
import { VIEWER_TIME_ZONE } from '../../viewer-time-zone';
import { MAX_PASSENGERS, PassengerInput, bookingErrors, toPassengerPayload } from '../passenger-rules';

type PassengerForm = FormGroup<{
  name: FormControl<string>;
  birthDate: FormControl<string>;
  email: FormControl<string>;
}>;

function passengerForm(): PassengerForm {
  return new FormGroup({
    name: new FormControl('', { nonNullable: true }),
    birthDate: new FormControl('', { nonNullable: true }),
    email: new FormControl('', { nonNullable: true }),
  });
}

/** What the page shows once the booking is made. */
interface Booked {
  readonly reply: BookingReply;
  /** The launch as the query API has it after the booking (read-your-writes), if it answered. */
  readonly launch: Launch | null;
}

/**
 * Booking seats on one launch (`/launches/:id/book`): passengers, the price
 * before confirming, a confirmation step, then the booking with the launch's
 * new free seats.
 */
@Component({
  selector: 'astro-book-page',
  imports: [ReactiveFormsModule, RouterLink],
  templateUrl: './book-page.html',
  styleUrl: './book-page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class BookPage {
  /** The launch id, from the route. */
  readonly id = input.required<string>();

  private readonly queryApi = inject(QueryApi);
  private readonly commandApi = inject(CommandApi);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  private readonly injector = inject(Injector);
  private readonly pendingTasks = inject(PendingTasks);
  private readonly keys = new IdempotencyKeys();
  protected readonly session = inject(Session);

  protected readonly maxPassengers = MAX_PASSENGERS;
  private readonly viewerZone = inject(VIEWER_TIME_ZONE);

  protected readonly formatMoney = formatMoney;
  protected readonly destinationLabel = destinationLabel;
  protected readonly seatsLabel = seatsLabel;
  protected readonly problemMessage = problemMessage;

  protected readonly isEmployee = computed(() => this.session.user()?.role === 'employee');
  protected readonly isAgency = computed(() => this.session.user()?.role === 'agency');

  // Employees cannot book: their page loads nothing.
  protected readonly launch = resource({
    params: () => (this.isEmployee() ? undefined : { launch_id: this.id() }),
    loader: ({ params }) => this.queryApi.invoke(getLaunch, params),
  });

  /** The launch once loaded, null while loading or after a failure (reading an errored resource throws). */
  private readonly loaded = computed(() => (this.launch.hasValue() ? this.launch.value() : null));

  /** The departure at the spaceport, and in the viewer's time zone when that reads differently. */
  protected readonly departure = computed(() => {
    const launch = this.loaded();
    return launch ? departureParts(launch.departure_at, launch.spaceport, this.viewerZone) : null;
  });

  protected readonly passengers = new FormArray<PassengerForm>([passengerForm()]);
  protected readonly form = new FormGroup({ passengers: this.passengers });
  private readonly passengerValues = toSignal(
    this.passengers.valueChanges.pipe(map(() => this.passengers.getRawValue() as PassengerInput[])),
    { initialValue: this.passengers.getRawValue() as PassengerInput[] },
  );

  protected readonly step = signal<'form' | 'confirm' | 'done'>('form');
  /** Errors are shown once the traveler first asked to review, not while typing the first row. */
  protected readonly attempted = signal(false);
  protected readonly sending = signal(false);
  protected readonly problem = signal<Problem | null>(null);
  protected readonly conflict = signal<string | null>(null);
  protected readonly booked = signal<Booked | null>(null);

  /** The server's 422 field errors, forgotten as soon as the form changes. */
  private readonly serverErrors = linkedSignal<PassengerInput[], Readonly<Record<string, string>>>({
    source: this.passengerValues,
    computation: () => ({}),
  });

  private readonly clientErrors = computed(() => {
    const launch = this.loaded();
    return launch ? bookingErrors(this.passengerValues(), launch.departure_at) : {};
  });

  /** Each field's error by the server's path, the server's word first. */
  protected readonly errors = computed<Readonly<Record<string, string>>>(() => ({
    ...(this.attempted() ? this.clientErrors() : {}),
    ...this.serverErrors(),
  }));
  protected readonly errorCount = computed(() => Object.keys(this.errors()).length);

  protected readonly seats = computed(() => this.passengerValues().length);
  protected readonly total = computed(() => totalCents(this.seats(), this.loaded()?.price_per_seat_cents ?? 0));
  protected readonly confirmText = computed(() =>
    confirmLabel(this.seats(), this.loaded()?.price_per_seat_cents ?? 0),
  );
  /** The error of field `path` (e.g. `passengers[0].birth_date`), or null. */
  protected errorOf(path: string): string | null {
    return this.errors()[path] ?? null;
  }

  protected addPassenger(): void {
    if (this.passengers.length < MAX_PASSENGERS) {
      this.passengers.push(passengerForm());
      this.focusLater(`#passenger-${this.passengers.length - 1}-name`);
    }
  }

  protected removePassenger(index: number): void {
    if (this.passengers.length > 1) {
      this.passengers.removeAt(index);
      this.focusLater('#add-passenger');
    }
  }

  /** Checks the form and moves on to the confirmation, or to the first invalid field. */
  protected review(): void {
    this.attempted.set(true);
    this.problem.set(null);
    this.conflict.set(null);
    if (Object.keys(this.clientErrors()).length > 0) {
      this.focusLater('[aria-invalid="true"]');
      return;
    }
    this.step.set('confirm');
    this.focusLater('#confirm-heading');
  }

  protected change(): void {
    this.step.set('form');
    this.focusLater('#passengers-heading');
  }

  /** Sends the booking; a repeated click or a retry carries the same Idempotency-Key. */
  protected confirm(): void {
    if (this.sending()) {
      return;
    }
    this.sending.set(true);
    // A pending task keeps the app unstable until the booking is answered and shown.
    void this.pendingTasks.run(() => this.send());
  }

  private async send(): Promise<void> {
    const launchId = this.id();
    const body = { passengers: toPassengerPayload(this.passengerValues()) };
    this.problem.set(null);
    this.conflict.set(null);
    try {
      const reply = await this.commandApi.invoke(book, {
        launch_id: launchId,
        'Idempotency-Key': this.keys.keyFor(body),
        body,
      });
      this.keys.reset();
      this.booked.set({ reply, launch: null });
      this.step.set('done');
      this.focusLater('#done-heading');
      await this.showFreshLaunch(reply);
    } catch (error) {
      await this.showRefusal(toProblem(error));
    } finally {
      this.sending.set(false);
    }
  }

  /** Starts another booking on the same launch. */
  protected bookAgain(): void {
    this.passengers.clear();
    this.passengers.push(passengerForm());
    this.attempted.set(false);
    this.booked.set(null);
    this.step.set('form');
    this.launch.reload();
  }

  private async showFreshLaunch(reply: BookingReply): Promise<void> {
    try {
      // Waits until the read model has the booking, so the free seats are current.
      const launch = await this.queryApi.invoke(getLaunch, { launch_id: reply.launch_id, min_version: reply.version });
      this.booked.set({ reply, launch });
    } catch {
      // The booking is made; the page simply does not show the free seats.
    }
  }

  private async showRefusal(problem: Problem): Promise<void> {
    if (problem.status === 422 && problem.errors.length > 0) {
      const byField = fieldErrors(problem);
      this.serverErrors.set(Object.fromEntries(Object.entries(byField).map(([field, message]) => [field, asSentence(message)])));
      this.step.set('form');
      this.focusLater('[aria-invalid="true"]');
      return;
    }
    if (problem.status === 409) {
      let freeSeats: number | null = null;
      if (problemCode(problem) === 'not-enough-seats') {
        // Only the launch as it is now says how many seats are left (and the page shows them).
        try {
          const launch = await this.queryApi.invoke(getLaunch, { launch_id: this.id() });
          this.launch.set(launch);
          freeSeats = launch.free_seats;
        } catch {
          // The message does without the figure.
        }
      }
      this.conflict.set(conflictMessage(problem, this.seats(), freeSeats));
      this.step.set('form');
      return;
    }
    this.problem.set(problem);
  }

  private focusLater(selector: string): void {
    afterNextRender(() => this.host.nativeElement.querySelector<HTMLElement>(selector)?.focus(), {
      injector: this.injector,
    });
  }
}
