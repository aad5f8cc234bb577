import { InjectionToken } from '@angular/core';

/** Leaving the app for another origin (the auth app, a client's redirect URI). */
export interface BrowserLocation {
  /** Loads `url` in this tab, as `window.location.assign` does. */
  assign(url: string): void;
}

/**
 * The browser's `location`, behind a token so that tests observe where the
 * app would go (jsdom cannot navigate) and the server never touches it.
 */
export const BROWSER_LOCATION = new InjectionToken<BrowserLocation>('BROWSER_LOCATION', {
  providedIn: 'root',
  factory: () => ({ assign: (url: string) => window.location.assign(url) }),
});
