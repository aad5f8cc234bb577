import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { RouterLink } from '@angular/router';
import { APP_CONFIG, Session } from '@astro/shared';

import { LoginForm } from '../login-form/login-form';

/** `/login`, the landing page: sign in to the auth app itself, or see that you are. */
@Component({
  selector: 'astro-login-page',
  imports: [LoginForm, RouterLink],
  templateUrl: './login-page.html',
  styleUrl: './login-page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class LoginPage {
  protected readonly session = inject(Session);
  protected readonly salesUrl = inject(APP_CONFIG).salesUrl;
}
