import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import { APP_CONFIG, BROWSER_LOCATION, Session } from '@astro/shared';

/**
 * The header's account links: "Sign in" for a visitor; "My bookings",
 * "Profile" and "Sign out" for a signed-in user. Sign out ends this site's
 * session and then the auth app's, so that single sign-on ends too.
 */
@Component({
  selector: 'astro-session-nav',
  imports: [RouterLink],
  templateUrl: './session-nav.html',
  styleUrl: './session-nav.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SessionNav {
  protected readonly session = inject(Session);
  private readonly router = inject(Router);
  private readonly config = inject(APP_CONFIG);
  private readonly location = inject(BROWSER_LOCATION);

  /** Sends the visitor to sign in, coming back to this page. */
  protected signIn(): void {
    void this.session.signIn(this.router.url);
  }

  /** Revokes this site's session, then ends the auth app's one. */
  protected async signOut(): Promise<void> {
    await this.session.signOut();
    this.location.assign(`${this.config.authAppUrl}/logout`);
  }
}
