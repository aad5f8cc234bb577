import { RenderMode, ServerRoute } from '@angular/ssr';

/** Launches change all the time: every page is rendered on request, never prerendered. */
export const serverRoutes: ServerRoute[] = [{ path: '**', renderMode: RenderMode.Server }];
