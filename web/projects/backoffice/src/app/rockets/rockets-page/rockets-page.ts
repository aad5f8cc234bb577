import { ChangeDetectionStrategy, Component, ElementRef, Injector, afterNextRender, computed, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule } from '@angular/forms';
import { Problem, destinationLabel, fieldErrors, toProblem } from '@astro/shared';
import type { RegisterRocket } from '@astro/shared/api/command-api/models/register-rocket';

import { DESTINATIONS } from '../../launches/launch-admin-query';
import { KnownRocket, RocketRegistry } from '../rocket-registry';
import { rocketFormErrors } from '../rocket-form';

/** Registering rockets (operations), and the rockets known to this browser session. */
@Component({
  selector: 'astro-rockets-page',
  imports: [ReactiveFormsModule],
  templateUrl: './rockets-page.html',
  styleUrl: './rockets-page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RocketsPage {
  protected readonly registry = inject(RocketRegistry);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  private readonly injector = inject(Injector);

  protected readonly ranges = DESTINATIONS.map((value) => ({ value, label: destinationLabel(value) }));
  protected readonly destinationLabel = destinationLabel;

  protected readonly form = new FormGroup({
    name: new FormControl('', { nonNullable: true }),
    capacity: new FormControl<number | null>(null),
    range: new FormControl<RegisterRocket['range']>('moon', { nonNullable: true }),
  });
  private readonly value = toSignal(this.form.valueChanges, { initialValue: this.form.getRawValue() });

  protected readonly attempted = signal(false);
  protected readonly sending = signal(false);
  protected readonly problem = signal<Problem | null>(null);
  protected readonly serverErrors = signal<Readonly<Record<string, string>>>({});
  protected readonly registered = signal<KnownRocket | null>(null);

  protected readonly errors = computed<Readonly<Record<string, string>>>(() => ({
    // Reading `value` makes the errors follow the typing once shown.
    ...(this.attempted() && this.value() ? rocketFormErrors(this.form.getRawValue()) : {}),
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
    this.registered.set(null);
    const value = this.form.getRawValue();
    if (Object.keys(rocketFormErrors(value)).length > 0) {
      this.focusLater('[aria-invalid="true"]');
      return;
    }
    this.sending.set(true);
    try {
      const rocket = await this.registry.register({ name: value.name.trim(), capacity: value.capacity ?? 0, range: value.range });
      this.registered.set(rocket);
      this.attempted.set(false);
      this.form.reset({ name: '', capacity: null, range: value.range });
      this.focusLater('#registered');
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
