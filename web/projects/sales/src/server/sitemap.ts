/*
 * robots.txt and sitemap.xml of the sales site: pure builders, and the walk
 * over every page of the query API's bookable launches.
 */
import { list } from '@astro/shared/api/query-api/fn/launches/list';
import type { PageLaunch } from '@astro/shared/api/query-api/models/page-launch';

/** One URL of a sitemap. */
export interface SitemapEntry {
  /** The absolute URL. */
  readonly loc: string;
  /** When it last changed (W3C datetime), if known. */
  readonly lastmod?: string;
}

/** Text made safe inside an XML element or attribute. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A sitemap (sitemaps.org 0.9) of `entries`. */
export function sitemapXml(entries: readonly SitemapEntry[]): string {
  const urls = entries.map((entry) => {
    const lastmod = entry.lastmod ? `<lastmod>${escapeXml(entry.lastmod)}</lastmod>` : '';
    return `  <url><loc>${escapeXml(entry.loc)}</loc>${lastmod}</url>\n`;
  });
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' +
    urls.join('') +
    '</urlset>\n'
  );
}

/** robots.txt: every crawler welcome, and where the sitemap is. */
export function robotsTxt(salesUrl: string): string {
  return `User-agent: *\nAllow: /\n\nSitemap: ${salesUrl}/sitemap.xml\n`;
}

/** Launches per request of the walk: the query API's largest page. */
export const SITEMAP_PAGE_SIZE = 100;
// The query API's last page number: a bound on the walk whatever it answers.
const MAX_PAGES = 10_000;

/** Fetches page `page` of the bookable launches. */
export type LaunchPageFetcher = (page: number, pageSize: number) => Promise<PageLaunch>;

/**
 * The sitemap's entries: the home page, then every bookable launch's page,
 * walking the query API's pages until the total is reached.
 */
export async function sitemapEntries(salesUrl: string, fetchPage: LaunchPageFetcher): Promise<SitemapEntry[]> {
  const entries: SitemapEntry[] = [{ loc: `${salesUrl}/` }];
  const seen = new Set<string>();
  for (let page = 1; page <= MAX_PAGES; page++) {
    const answer = await fetchPage(page, SITEMAP_PAGE_SIZE);
    for (const launch of answer.items) {
      // A launch moving between pages during the walk must not appear twice.
      if (!seen.has(launch.id)) {
        seen.add(launch.id);
        entries.push({ loc: `${salesUrl}/launches/${encodeURIComponent(launch.id)}` });
      }
    }
    if (answer.items.length < SITEMAP_PAGE_SIZE || page * SITEMAP_PAGE_SIZE >= answer.total) {
      break;
    }
  }
  return entries;
}

/** A fetcher of the query API's `GET /v1/launches` pages at `queryApiUrl`, with `fetch`. */
export function queryApiLaunchPages(queryApiUrl: string, fetchFn: typeof fetch = fetch): LaunchPageFetcher {
  return async (page, pageSize) => {
    const url = `${queryApiUrl}${list.PATH}?page=${page}&page_size=${pageSize}`;
    const response = await fetchFn(url, { headers: { Accept: 'application/json' } });
    if (!response.ok) {
      throw new Error(`GET ${url} answered ${response.status}`);
    }
    return (await response.json()) as PageLaunch;
  };
}
