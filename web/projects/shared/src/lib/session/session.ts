import { Injectable, Signal, computed, signal } from '@angular/core';

/** Who is signed in, as the auth API's token response says. */
export interface SessionUser {
  readonly userId: string;
  readonly role: 'traveler' | 'agency' | 'employee';
  /** An employee's department: `operations`, `finance` or `it`. */
  readonly department?: string;
}

/**
 * The signed-in user's session in an app: sign-in through the auth app
 * (authorization code + PKCE), tokens kept and refreshed, sign-out.
 *
 * STUB of the contract: the sign-on work (issue 15) implements it; the
 * public members and their meaning stay.
 */
@Injectable({ providedIn: 'root' })
export class Session {
  private readonly current = signal<SessionUser | null>(null);

  /** The signed-in user, or null. */
  readonly user: Signal<SessionUser | null> = this.current.asReadonly();

  /** Whether someone is signed in. */
  readonly signedIn: Signal<boolean> = computed(() => this.current() !== null);

  /**
   * Sends the browser to the auth app to sign in; after sign-in the user
   * comes back to `returnUrl` (a path of this app, default the current one).
   */
  async signIn(_returnUrl?: string): Promise<void> {
    throw new Error('not implemented yet');
  }

  /**
   * A valid access token for an API call (refreshed first when it is about
   * to expire), or null when nobody is signed in.
   */
  async accessToken(): Promise<string | null> {
    return null;
  }

  /** Revokes the session at the auth API and forgets it. */
  async signOut(): Promise<void> {
    this.current.set(null);
  }
}
