import { Component, inject } from '@angular/core';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { APP_CONFIG, BROWSER_LOCATION, Session } from '@astro/shared';

/** The page frame: a skip link, the header with sign-out, the routed page. */
@Component({
  selector: 'astro-root',
  imports: [RouterOutlet, RouterLink, RouterLinkActive],
  templateUrl: './app.html',
  styleUrl: './app.css',
})
export class App {
  protected readonly session = inject(Session);
  private readonly config = inject(APP_CONFIG);
  private readonly location = inject(BROWSER_LOCATION);

  /** Ends this app's session, then the auth app's (single sign-on ends too). */
  protected async signOut(): Promise<void> {
    await this.session.signOut();
    this.location.assign(`${this.config.authAppUrl}/logout`);
  }
}
