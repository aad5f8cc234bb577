import { InjectionToken, PLATFORM_ID, inject } from '@angular/core';
import { isPlatformBrowser } from '@angular/common';

/**
 * The viewer's IANA time zone, to show departures in it too; null on the
 * server, which cannot know where the reader is (the HTML a crawler gets
 * shows the spaceport's time only, and the browser adds the viewer's).
 */
export const VIEWER_TIME_ZONE = new InjectionToken<string | null>('VIEWER_TIME_ZONE', {
  providedIn: 'root',
  factory: () =>
    isPlatformBrowser(inject(PLATFORM_ID)) ? Intl.DateTimeFormat().resolvedOptions().timeZone || null : null,
});
