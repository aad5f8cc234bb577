import { RenderMode, ServerRoute } from '@angular/ssr';

/**
 * Launches change all the time: every page is rendered on request, never
 * prerendered. The signed-in pages are rendered in the browser only: the
 * server has no session, and bots have nothing to read there.
 */
export const serverRoutes: ServerRoute[] = [
  { path: 'sign-in', renderMode: RenderMode.Client },
  { path: 'auth/callback', renderMode: RenderMode.Client },
  { path: 'launches/:id/book', renderMode: RenderMode.Client },
  { path: 'bookings', renderMode: RenderMode.Client },
  { path: 'profile', renderMode: RenderMode.Client },
  { path: '**', renderMode: RenderMode.Server },
];
