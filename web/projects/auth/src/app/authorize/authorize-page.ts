import { HttpClient } from '@angular/common/http';
import { isPlatformBrowser } from '@angular/common';
import { ChangeDetectionStrategy, Component, PLATFORM_ID, computed, inject, signal } from '@angular/core';
import { ActivatedRoute, Router, RouterLink } from '@angular/router';
import { APP_CONFIG, BROWSER_LOCATION, Session, requestAuthorizationCode, toProblem } from '@astro/shared';

import { LoginForm } from '../login-form/login-form';
import { AuthorizeQuery, clientName, parseAuthorizeQuery, redirectWithCode } from './authorize-request';

/** Where the page is in the flow. */
type Step =
  | { readonly kind: 'working' }
  | { readonly kind: 'login' }
  | { readonly kind: 'invalid'; readonly message: string; readonly details: readonly string[] }
  | { readonly kind: 'failed'; readonly message: string };

/**
 * `/authorize`: another app sent the user here to sign in. Signed in (or
 * once the login form succeeds), the page asks the auth API for a one-time
 * code and sends the browser back to the app's redirect URI with it. A link
 * the auth API refuses (unknown client, redirect URI not allowed) is shown
 * as an error and never followed.
 */
@Component({
  selector: 'astro-authorize-page',
  imports: [LoginForm, RouterLink],
  templateUrl: './authorize-page.html',
  styleUrl: './authorize-page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AuthorizePage {
  private readonly session = inject(Session);
  private readonly http = inject(HttpClient);
  private readonly config = inject(APP_CONFIG);
  private readonly location = inject(BROWSER_LOCATION);
  private readonly router = inject(Router);
  private readonly queryParams = inject(ActivatedRoute).snapshot.queryParamMap;
  private readonly parsed = parseAuthorizeQuery((name) => this.queryParams.get(name));

  protected readonly step = signal<Step>({ kind: 'working' });
  protected readonly appName = computed(() => (this.parsed.ok ? clientName(this.parsed.query.clientId) : 'the application'));
  /** This very page, for coming back to it after registering. */
  protected readonly here = this.router.url;

  constructor() {
    if (!this.parsed.ok) {
      this.step.set({ kind: 'invalid', message: this.parsed.message, details: [] });
    } else if (isPlatformBrowser(inject(PLATFORM_ID))) {
      void this.continue();
    }
  }

  /** Asks for a code when signed in, else shows the login form. */
  protected async continue(): Promise<void> {
    if (!this.parsed.ok) {
      return;
    }
    const token = this.session.signedIn() ? await this.session.accessToken().catch(() => null) : null;
    if (token === null) {
      this.step.set({ kind: 'login' });
      return;
    }
    await this.authorize(this.parsed.query, token);
  }

  private async authorize(query: AuthorizeQuery, token: string): Promise<void> {
    this.step.set({ kind: 'working' });
    try {
      const { code } = await requestAuthorizationCode(this.http, this.config.authApiUrl, token, {
        client_id: query.clientId,
        redirect_uri: query.redirectUri,
        code_challenge: query.codeChallenge,
        code_challenge_method: 'S256',
      });
      this.location.assign(redirectWithCode(query.redirectUri, code, query.state));
    } catch (error) {
      const problem = toProblem(error);
      if (problem.status === 401) {
        // The auth app's own session ended: sign in again, then continue.
        this.session.forget();
        this.step.set({ kind: 'login' });
      } else if (problem.status === 422 || problem.status === 400) {
        this.step.set({
          kind: 'invalid',
          message: 'This sign-in link is not valid: the application or its return address is not allowed.',
          details: problem.errors.map((e) => `${e.field}: ${e.message}`),
        });
      } else {
        this.step.set({ kind: 'failed', message: problem.detail });
      }
    }
  }
}
