import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { NavigationEnd, Router, RouterLink } from '@angular/router';
import { filter, map } from 'rxjs';
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

  /** The page a visitor signing in comes back to. */
  protected readonly currentUrl = toSignal(
    this.router.events.pipe(
      filter((event): event is NavigationEnd => event instanceof NavigationEnd),
      map((event) => event.urlAfterRedirects),
    ),
    { initialValue: this.router.url },
  );

  /** Revokes this site's session, then ends the auth app's one. */
  protected async signOut(): Promise<void> {
    await this.session.signOut();
    this.location.assign(`${this.config.authAppUrl}/logout`);
  }
}
