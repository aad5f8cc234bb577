/**
 * The sales site's deployable: Angular's server-side rendering behind
 * Express, so that a visitor and a crawler without JavaScript both get the
 * launches as HTML.
 *
 * Configuration (docs/configuration.md, "Web apps"): `PORT` (4200), `HOST`
 * (127.0.0.1), the public API and app URLs (`COMMAND_API_URL`,
 * `QUERY_API_URL`, `AUTH_API_URL`, `AUTH_APP_URL`, `SALES_URL`),
 * `QUERY_API_INTERNAL_URL` (the query API as this server reaches it, for
 * rendering and the sitemap; default `QUERY_API_URL`) and
 * `NG_ALLOWED_HOSTS` (the host names this server answers for).
 */
import {
  AngularNodeAppEngine,
  createNodeRequestHandler,
  isMainModule,
  writeResponseToNodeResponse,
} from '@angular/ssr/node';
import { appConfigFromEnv } from '@astro/shared';
import express from 'express';
import { join } from 'node:path';

import { queryApiInternalUrl } from './server/internal-api';
import { securityHeaders } from './server/security-headers';
import { queryApiLaunchPages, robotsTxt, sitemapEntries, sitemapXml } from './server/sitemap';

const browserDistFolder = join(import.meta.dirname, '../browser');

const app = express();
app.disable('x-powered-by');
app.use(securityHeaders);
const angularApp = new AngularNodeAppEngine();
const publicConfig = appConfigFromEnv(process.env, 'sales');
const launchPages = queryApiLaunchPages(queryApiInternalUrl(process.env, publicConfig.queryApiUrl));

/** The browser's run-time configuration: where the APIs and the auth app are. */
app.get('/config.json', (_req, res) => {
  res.set('Cache-Control', 'no-store').json(publicConfig);
});

/** Liveness and readiness for the orchestrator: the process answers. */
app.get('/health', (_req, res) => {
  res.json({ status: 'ok' });
});

/** Crawlers are welcome everywhere; the sitemap lists the launches. */
app.get('/robots.txt', (_req, res) => {
  res.type('text/plain').set('Cache-Control', 'max-age=3600').send(robotsTxt(publicConfig.salesUrl));
});

/** The home page and every bookable launch's page, fresh from the query API. */
app.get('/sitemap.xml', (_req, res) => {
  sitemapEntries(publicConfig.salesUrl, launchPages)
    .then((entries) => {
      res.type('application/xml').set('Cache-Control', 'max-age=300').send(sitemapXml(entries));
    })
    .catch((error: unknown) => {
      console.error(JSON.stringify({ level: 'ERROR', message: `sitemap.xml: ${String(error)}` }));
      // A crawler retries a 503 later rather than dropping every launch.
      res.status(503).set('Retry-After', '60').type('text/plain').send('The sitemap is unavailable; please retry shortly.');
    });
});

/** Hashed bundles are immutable; the rest is revalidated. */
app.use(
  express.static(browserDistFolder, {
    maxAge: '1y',
    index: false,
    redirect: false,
  }),
);

/** Every other request is a page, rendered by Angular. */
app.use((req, res, next) => {
  angularApp
    .handle(req)
    .then((response) => (response ? writeResponseToNodeResponse(response, res) : next()))
    .catch(next);
});

if (isMainModule(import.meta.url) || process.env['pm_id']) {
  const port = Number(process.env['PORT'] || 4200);
  const host = process.env['HOST'] || '127.0.0.1';
  const server = app.listen(port, host, (error) => {
    if (error) {
      throw error;
    }
    console.log(JSON.stringify({ level: 'INFO', message: `sales site listening on http://${host}:${port}` }));
  });
  // Graceful shutdown: stop accepting, finish the requests in flight, exit.
  const stop = (signal: string) => {
    console.log(JSON.stringify({ level: 'INFO', message: `${signal}: draining` }));
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/** Request handler used by the Angular CLI (dev-server and build). */
export const reqHandler = createNodeRequestHandler(app);
