import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  afterNextRender,
  computed,
  inject,
  output,
  signal,
} from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule } from '@angular/forms';
import { Problem, destinationLabel, fieldErrors, formatMoney, toProblem } from '@astro/shared';
import { Api as CommandApi } from '@astro/shared/api/command-api/api';
import { schedule } from '@astro/shared/api/command-api/fn/launches/schedule';
import type { LaunchReply } from '@astro/shared/api/command-api/models/launch-reply';
import type { ScheduleLaunch } from '@astro/shared/api/command-api/models/schedule-launch';

import { RocketRegistry } from '../../rockets/rocket-registry';
import { DESTINATIONS } from '../launch-admin-query';
import { OTHER_ROCKET, ScheduleFormValue, scheduleErrors, toScheduleLaunch } from '../schedule-rules';

/** Scheduling a launch: rocket, spaceport, destination, departure and price; 422s next to their fields. */
@Component({
  selector: 'astro-schedule-form',
  imports: [ReactiveFormsModule],
  templateUrl: './schedule-form.html',
  styleUrl: './schedule-form.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ScheduleForm {
  /** The command API's answer once the launch is scheduled. */
  readonly scheduled = output<LaunchReply>();
  /** The user closed the form without scheduling. */
  readonly closed = output<void>();

  private readonly commandApi = inject(CommandApi);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  private readonly injector = inject(Injector);
  protected readonly registry = inject(RocketRegistry);

  protected readonly other = OTHER_ROCKET;
  protected readonly destinations = DESTINATIONS.map((value) => ({ value, label: destinationLabel(value) }));
  protected readonly formatMoney = formatMoney;

  protected readonly form = new FormGroup({
    rocket: new FormControl(this.registry.rockets()[0]?.id ?? OTHER_ROCKET, { nonNullable: true }),
    rocketId: new FormControl('', { nonNullable: true }),
    spaceport: new FormControl('', { nonNullable: true }),
    destination: new FormControl<ScheduleLaunch['destination']>(this.registry.rockets()[0]?.range ?? 'moon', {
      nonNullable: true,
    }),
    departure: new FormControl('', { nonNullable: true }),
    price: new FormControl('', { nonNullable: true }),
  });
  private readonly value = toSignal(this.form.valueChanges, { initialValue: this.form.getRawValue() });
  protected readonly current = computed<ScheduleFormValue>(() => (this.value(), this.form.getRawValue()));

  protected readonly chosen = computed(() => this.registry.rockets().find((rocket) => rocket.id === this.current().rocket) ?? null);
  protected readonly attempted = signal(false);
  protected readonly sending = signal(false);
  protected readonly problem = signal<Problem | null>(null);
  private readonly serverErrors = signal<Readonly<Record<string, string>>>({});

  protected readonly errors = computed<Readonly<Record<string, string>>>(() => ({
    ...(this.attempted() ? scheduleErrors(this.current(), new Date()) : {}),
    ...this.serverErrors(),
  }));

  /** The error of `field` (the API's name), or null. */
  protected errorOf(field: string): string | null {
    return this.errors()[field] ?? null;
  }

  protected async submit(): Promise<void> {
    if (this.sending()) {
      return;
    }
    this.attempted.set(true);
    this.serverErrors.set({});
    this.problem.set(null);
    const value = this.form.getRawValue();
    const body = toScheduleLaunch(value);
    if (body === null || Object.keys(scheduleErrors(value, new Date())).length > 0) {
      this.focusLater('[aria-invalid="true"]');
      return;
    }
    this.sending.set(true);
    try {
      const reply = await this.commandApi.invoke(schedule, { body });
      this.scheduled.emit(reply);
    } catch (error) {
      const problem = toProblem(error);
      if (problem.status === 422 && problem.errors.length > 0) {
        this.serverErrors.set(fieldErrors(problem));
        this.focusLater('[aria-invalid="true"]');
      } else {
        this.problem.set(problem);
      }
    } finally {
      this.sending.set(false);
    }
  }

  private focusLater(selector: string): void {
    afterNextRender(() => this.host.nativeElement.querySelector<HTMLElement>(selector)?.focus(), { injector: this.injector });
  }
}
