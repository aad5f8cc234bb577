import { isPlatformBrowser } from '@angular/common';
import { ChangeDetectionStrategy, Component, PLATFORM_ID, inject, signal } from '@angular/core';
import { APP_CONFIG, Session } from '@astro/shared';

/**
 * `/logout`: ends the auth app's session (the single sign-on one), so that
 * the next sign-in from any app asks for the password again.
 */
@Component({
  selector: 'astro-logout-page',
  templateUrl: './logout-page.html',
  styleUrl: './logout-page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class LogoutPage {
  private readonly session = inject(Session);
  protected readonly salesUrl = inject(APP_CONFIG).salesUrl;
  protected readonly done = signal(false);

  constructor() {
    if (isPlatformBrowser(inject(PLATFORM_ID))) {
      void this.session.signOut().then(() => this.done.set(true));
    }
  }
}
