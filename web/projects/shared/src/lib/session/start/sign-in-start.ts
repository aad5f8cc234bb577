import { ChangeDetectionStrategy, Component, OnInit, PLATFORM_ID, inject, signal } from '@angular/core';
import { isPlatformBrowser } from '@angular/common';
import { ActivatedRoute, Router } from '@angular/router';

import { safeReturnUrl } from '../return-url';
import { Session } from '../session';

/**
 * `/sign-in?return=<path>`: starts signing in (PKCE, then the auth app).
 *
 * The header's "Sign in" is a plain link to this page, not a button, so a
 * click on a server-rendered page before the app has started is not lost:
 * the browser loads this page, which the app renders and which sends the
 * user on. A user already signed in goes straight back.
 */
@Component({
  selector: 'astro-sign-in-start',
  template: `
    <section class="card stack" aria-live="polite">
      <h1>Signing in</h1>
      @if (failed()) {
        <p class="alert error" role="alert">Signing in could not start. Please try again.</p>
        <button type="button" (click)="start()">Try again</button>
      } @else {
        <p>Taking you to the sign-in page…</p>
      }
    </section>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SignInStart implements OnInit {
  private readonly session = inject(Session);
  private readonly router = inject(Router);
  private readonly route = inject(ActivatedRoute);
  private readonly browser = isPlatformBrowser(inject(PLATFORM_ID));

  /** Whether starting the sign-in failed (no Web Crypto, storage refused). */
  protected readonly failed = signal(false);

  ngOnInit(): void {
    if (this.browser) {
      void this.start();
    }
  }

  /** Sends the user to the auth app, or back where they were when signed in already. */
  protected async start(): Promise<void> {
    this.failed.set(false);
    const returnUrl = safeReturnUrl(this.route.snapshot.queryParamMap.get('return'));
    if (this.session.signedIn()) {
      await this.router.navigateByUrl(returnUrl, { replaceUrl: true });
      return;
    }
    try {
      await this.session.signIn(returnUrl);
    } catch {
      this.failed.set(true);
    }
  }
}
