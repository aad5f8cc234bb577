import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  afterNextRender,
  computed,
  inject,
  input,
  output,
  signal,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule } from '@angular/forms';
import { destinationLabel, fieldErrors, toProblem } from '@astro/shared';
import { Api as CommandApi } from '@astro/shared/api/command-api/api';
import { abort } from '@astro/shared/api/command-api/fn/launches/abort';
import { confirm } from '@astro/shared/api/command-api/fn/launches/confirm';
import { delay } from '@astro/shared/api/command-api/fn/launches/delay';
import { launched } from '@astro/shared/api/command-api/fn/launches/launched';
import type { LaunchReply } from '@astro/shared/api/command-api/models/launch-reply';
import type { Launch } from '@astro/shared/api/query-api/models/launch';

import { ACTIONS, LaunchAction as Action, isoToLocal, localToIso, refusalMessage } from '../launch-actions';

/** A command's outcome, for the list to show and refresh with. */
export interface ActionDone {
  readonly action: Action;
  readonly reply: LaunchReply;
}

/**
 * The confirmation step of one command on one launch: the question, the
 * new date and reason a delay needs, the reason of an abort; then the
 * command, its refusal shown here (409 with the server's detail, 422 next to
 * the fields).
 */
@Component({
  selector: 'astro-launch-action',
  imports: [ReactiveFormsModule],
  templateUrl: './launch-action.html',
  styleUrl: './launch-action.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class LaunchActionPanel {
  readonly launch = input.required<Launch>();
  readonly action = input.required<Action>();
  /** The command succeeded. */
  readonly done = output<ActionDone>();
  /** The user changed their mind. */
  readonly cancelled = output<void>();

  private readonly commandApi = inject(CommandApi);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  private readonly injector = inject(Injector);

  protected readonly text = computed(() => ACTIONS[this.action()]);
  protected readonly destinationLabel = destinationLabel;
  protected readonly form = new FormGroup({
    departure: new FormControl('', { nonNullable: true }),
    reason: new FormControl('', { nonNullable: true }),
  });
  protected readonly sending = signal(false);
  protected readonly refusal = signal<string | null>(null);
  protected readonly errors = signal<Readonly<Record<string, string>>>({});

  constructor() {
    // An error is about what was sent: it goes as soon as the field changes.
    this.form.valueChanges.pipe(takeUntilDestroyed()).subscribe(() => this.errors.set({}));
    afterNextRender(() => {
      this.form.controls.departure.setValue(isoToLocal(this.launch().departure_at));
      this.host.nativeElement.querySelector<HTMLElement>('h3')?.focus();
    });
  }

  /** The error of `field` (the API's name), or null. */
  protected errorOf(field: string): string | null {
    return this.errors()[field] ?? null;
  }

  protected async run(): Promise<void> {
    if (this.sending()) {
      return;
    }
    const action = this.action();
    const { departure, reason } = this.form.getRawValue();
    const local: Record<string, string> = {};
    const newDeparture = localToIso(departure);
    if (action === 'delay' && newDeparture === null) {
      local['new_departure_at'] = 'Enter the new departure date and time.';
    }
    if ((action === 'delay' || action === 'abort') && reason.trim() === '') {
      local['reason'] = action === 'abort' ? 'Say why the launch is aborted.' : 'Say why the launch is delayed.';
    }
    this.errors.set(local);
    this.refusal.set(null);
    if (Object.keys(local).length > 0) {
      this.focusLater('[aria-invalid="true"]');
      return;
    }
    this.sending.set(true);
    const launch_id = this.launch().id;
    try {
      const reply = await this.send(action, launch_id, newDeparture ?? '', reason.trim());
      this.done.emit({ action, reply });
    } catch (error) {
      const problem = toProblem(error);
      if (problem.status === 422 && problem.errors.length > 0) {
        this.errors.set(fieldErrors(problem));
        this.focusLater('[aria-invalid="true"]');
      } else {
        this.refusal.set(refusalMessage(action, problem));
      }
    } finally {
      this.sending.set(false);
    }
  }

  private send(action: Action, launch_id: string, new_departure_at: string, reason: string): Promise<LaunchReply> {
    switch (action) {
      case 'confirm':
        return this.commandApi.invoke(confirm, { launch_id });
      case 'launched':
        return this.commandApi.invoke(launched, { launch_id });
      case 'delay':
        return this.commandApi.invoke(delay, { launch_id, body: { new_departure_at, reason } });
      case 'abort':
        return this.commandApi.invoke(abort, { launch_id, body: { reason } });
    }
  }

  private focusLater(selector: string): void {
    afterNextRender(() => this.host.nativeElement.querySelector<HTMLElement>(selector)?.focus(), { injector: this.injector });
  }
}
