import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, output, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { Session, toProblem } from '@astro/shared';
import { Api as AuthApi } from '@astro/shared/api/auth/api';
import { login } from '@astro/shared/api/auth/fn/auth/login';

import { waitMessage } from './wait-message';

/** What a failed login tells the user: the same for an unknown email and a wrong password. */
export const WRONG_CREDENTIALS = 'Email or password is incorrect.';

/**
 * Email and password; on success the auth app keeps its own session and
 * `signedIn` fires. A 429 disables the form with a countdown from
 * `Retry-After`.
 */
@Component({
  selector: 'astro-login-form',
  imports: [ReactiveFormsModule],
  templateUrl: './login-form.html',
  styleUrl: './login-form.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class LoginForm {
  private readonly api = inject(AuthApi);
  private readonly session = inject(Session);

  /** Fires once the user is signed in. */
  readonly signedIn = output<void>();

  protected readonly form = inject(NonNullableFormBuilder).group({
    email: ['', [Validators.required, Validators.email]],
    password: ['', Validators.required],
  });
  protected readonly submitted = signal(false);
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  private readonly secondsLeft = signal(0);
  protected readonly waiting = computed(() => this.secondsLeft() > 0);
  protected readonly waitText = computed(() => (this.waiting() ? waitMessage(this.secondsLeft()) : ''));
  protected readonly waitAnnouncement = signal('');
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor() {
    inject(DestroyRef).onDestroy(() => clearInterval(this.timer));
  }

  protected async submit(): Promise<void> {
    this.submitted.set(true);
    if (this.form.invalid || this.busy() || this.waiting()) {
      return;
    }
    this.busy.set(true);
    this.error.set(null);
    try {
      const tokens = await this.api.invoke(login, { body: this.form.getRawValue() });
      this.session.establish(tokens);
      this.signedIn.emit();
    } catch (error) {
      const problem = toProblem(error);
      if (problem.status === 401) {
        this.error.set(WRONG_CREDENTIALS);
      } else if (problem.status === 429) {
        this.countDown(problem.retryAfterSeconds ?? 60);
      } else {
        this.error.set(problem.detail);
      }
    } finally {
      this.busy.set(false);
    }
  }

  private countDown(seconds: number): void {
    clearInterval(this.timer);
    this.secondsLeft.set(Math.max(1, Math.ceil(seconds)));
    this.waitAnnouncement.set(waitMessage(seconds));
    this.timer = setInterval(() => {
      this.secondsLeft.update((left) => left - 1);
      if (this.secondsLeft() <= 0) {
        clearInterval(this.timer);
      }
    }, 1000);
  }
}
