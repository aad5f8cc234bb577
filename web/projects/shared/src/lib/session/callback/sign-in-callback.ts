import { isPlatformBrowser } from '@angular/common';
import { ChangeDetectionStrategy, Component, PLATFORM_ID, inject, signal } from '@angular/core';
import { ActivatedRoute, Router } from '@angular/router';

import { Session, SignInError } from '../session';

/**
 * The `/auth/callback` page every app routes: completes the sign-in the
 * auth app sent back (`code`, `state`), then replaces itself in the history
 * with the page the user was going to, so the code never stays in it.
 */
@Component({
  selector: 'astro-sign-in-callback',
  templateUrl: './sign-in-callback.html',
  styleUrl: './sign-in-callback.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SignInCallback {
  private readonly session = inject(Session);
  private readonly router = inject(Router);
  private readonly route = inject(ActivatedRoute);

  /** Why the sign-in failed, or null while it is under way. */
  protected readonly error = signal<string | null>(null);
  private returnUrl = '/';

  constructor() {
    // The server has no sign-in to complete: the browser does it after loading.
    if (isPlatformBrowser(inject(PLATFORM_ID))) {
      void this.complete();
    }
  }

  /** Starts a new sign-in towards the page the user was going to. */
  protected tryAgain(): void {
    void this.session.signIn(this.returnUrl);
  }

  private async complete(): Promise<void> {
    const query = this.route.snapshot.queryParamMap;
    try {
      const target = await this.session.completeSignIn(query.get('code') ?? '', query.get('state') ?? '');
      await this.router.navigateByUrl(target, { replaceUrl: true });
    } catch (error) {
      if (error instanceof SignInError) {
        this.returnUrl = error.returnUrl;
        this.error.set(error.message);
      } else {
        this.error.set('Something went wrong while signing you in. Please try again.');
      }
      // Drop the spent code from the address bar and the history.
      await this.router.navigate([], { queryParams: {}, replaceUrl: true });
    }
  }
}
