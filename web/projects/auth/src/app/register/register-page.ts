import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormControl, NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { ActivatedRoute, Router, RouterLink } from '@angular/router';
import { Problem, Session, fieldErrors, safeReturnUrl, toProblem } from '@astro/shared';
import { Api as AuthApi } from '@astro/shared/api/auth/api';
import { login } from '@astro/shared/api/auth/fn/auth/login';
import { register } from '@astro/shared/api/auth/fn/auth/register';

import { passwordAcceptable, passwordRules } from './password-policy';
import { AGENCY_FIELDS, FieldSpec, RegisterFormValue, TRAVELER_FIELDS, registerBody } from './register-form';

/**
 * `/register`: a traveler or an agency (with its legal data) creates an
 * account, is signed in, and continues the sign-in it came from (`next`,
 * an `/authorize` path of this app) if any.
 */
@Component({
  selector: 'astro-register-page',
  imports: [ReactiveFormsModule, RouterLink],
  templateUrl: './register-page.html',
  styleUrl: './register-page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RegisterPage {
  private readonly api = inject(AuthApi);
  private readonly session = inject(Session);
  private readonly router = inject(Router);
  private readonly next = safeReturnUrl(inject(ActivatedRoute).snapshot.queryParamMap.get('next'), '');

  private readonly fb = inject(NonNullableFormBuilder);
  protected readonly form = this.fb.group({
    kind: this.fb.control<'traveler' | 'agency'>('traveler'),
    email: ['', [Validators.required, Validators.email]],
    password: ['', Validators.required],
    traveler: this.fb.group({ full_name: ['', Validators.required], birth_date: ['', Validators.required] }),
    agency: this.fb.group({
      legal_name: ['', Validators.required],
      tax_id: ['', Validators.required],
      address: this.fb.group({
        line1: ['', Validators.required],
        line2: [''],
        postal_code: ['', Validators.required],
        city: ['', Validators.required],
        country: ['', [Validators.required, Validators.pattern(/^[A-Za-z]{2}$/)]],
      }),
      contact: this.fb.group({
        name: ['', Validators.required],
        email: ['', [Validators.required, Validators.email]],
        phone: ['', Validators.required],
      }),
    }),
  });

  protected readonly kind = toSignal(this.form.controls.kind.valueChanges, { initialValue: 'traveler' as const });
  private readonly password = toSignal(this.form.controls.password.valueChanges, { initialValue: '' });
  private readonly email = toSignal(this.form.controls.email.valueChanges, { initialValue: '' });
  /** The policy's rules, met or not, as the user types. */
  protected readonly rules = computed(() => passwordRules(this.password(), this.email()));
  protected readonly fields = computed(() => (this.kind() === 'agency' ? AGENCY_FIELDS : TRAVELER_FIELDS));

  protected readonly submitted = signal(false);
  protected readonly busy = signal(false);
  protected readonly problem = signal<Problem | null>(null);
  private readonly serverErrors = computed(() => fieldErrors(this.problem()));
  /** The login link keeps the sign-in going on. */
  protected readonly loginLink = computed(() => (this.next.startsWith('/authorize?') ? this.next : '/login'));

  protected control(field: FieldSpec): FormControl<string> {
    return this.form.get(field.control) as FormControl<string>;
  }

  /** The message shown under a field: the server's for it, else what the form found. */
  protected errorOf(field: Pick<FieldSpec, 'api' | 'control'>): string | null {
    const server = this.serverErrors()[field.api];
    if (server) {
      return server;
    }
    const control = this.form.get(field.control)!;
    if (!this.submitted() || control.valid) {
      return null;
    }
    if (control.hasError('required')) {
      return 'This field is required.';
    }
    if (control.hasError('email')) {
      return 'Enter an email address, like name@example.com.';
    }
    return 'Check this field.';
  }

  protected passwordError(): string | null {
    const server = this.serverErrors()['password'];
    if (server) {
      return `The password ${server}.`;
    }
    return this.submitted() && !passwordAcceptable(this.password(), this.email())
      ? 'Choose a password that meets every rule below.'
      : null;
  }

  protected describedBy(field: FieldSpec): string | null {
    const ids = [field.hint ? `${field.id}-hint` : '', this.errorOf(field) ? `${field.id}-error` : ''].filter(Boolean);
    return ids.length ? ids.join(' ') : null;
  }

  protected async submit(): Promise<void> {
    this.submitted.set(true);
    this.problem.set(null);
    const value = this.form.getRawValue() as RegisterFormValue;
    const profile = value.kind === 'agency' ? this.form.controls.agency : this.form.controls.traveler;
    if (this.form.controls.email.invalid || !passwordAcceptable(value.password, value.email) || profile.invalid || this.busy()) {
      return;
    }
    this.busy.set(true);
    try {
      await this.api.invoke(register, { body: registerBody(value) });
      const tokens = await this.api.invoke(login, { body: { email: value.email.trim(), password: value.password } });
      this.session.establish(tokens);
      await this.router.navigateByUrl(this.loginLink());
    } catch (error) {
      this.problem.set(toProblem(error));
    } finally {
      this.busy.set(false);
    }
  }
}
