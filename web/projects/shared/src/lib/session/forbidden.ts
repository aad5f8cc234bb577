import { ChangeDetectionStrategy, Component, inject, input } from '@angular/core';

import { APP_CONFIG } from '../config';
import { BROWSER_LOCATION } from './browser-location';
import { Session } from './session';

/**
 * `/forbidden`: a signed-in user whose role or department this app is not
 * for. Says whose app it is and offers to sign out (to sign in as someone
 * else); the server refuses the same calls anyway.
 */
@Component({
  selector: 'astro-forbidden',
  template: `
    <section class="card stack">
      <h1>Not for your account</h1>
      <p>{{ appFor() }}</p>
      @if (session.signedIn()) {
        <button type="button" class="secondary" (click)="signOut()">Sign out to use another account</button>
      }
    </section>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Forbidden {
  /** Who the app is for, e.g. "The IT console is for employees of IT." (route data). */
  readonly appFor = input('This app is not available to your account.');

  protected readonly session = inject(Session);
  private readonly config = inject(APP_CONFIG);
  private readonly location = inject(BROWSER_LOCATION);

  /** Ends this app's session and the auth app's, so another account can sign in. */
  protected async signOut(): Promise<void> {
    await this.session.signOut();
    this.location.assign(`${this.config.authAppUrl}/logout`);
  }
}
