import type { PageLaunch } from '@astro/shared/api/query-api/models/page-launch';

import {
  SITEMAP_PAGE_SIZE,
  escapeXml,
  queryApiLaunchPages,
  robotsTxt,
  sitemapEntries,
  sitemapXml,
} from './sitemap';

const SALES = 'https://astro.example';

function pageOf(ids: string[], page: number, total: number): PageLaunch {
  return { items: ids.map((id) => ({ id }) as PageLaunch['items'][number]), page, page_size: SITEMAP_PAGE_SIZE, total };
}

const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => `id-${from + i}`);

describe('escapeXml', () => {
  it('escapes the five characters XML reserves', () => {
    expect(escapeXml(`a&b<c>d"e'f`)).toBe('a&amp;b&lt;c&gt;d&quot;e&apos;f');
  });
});

describe('sitemapXml', () => {
  it('writes a sitemaps.org urlset with one url per entry', () => {
    expect(sitemapXml([{ loc: `${SALES}/` }, { loc: `${SALES}/launches/1`, lastmod: '2027-01-01' }])).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' +
        '  <url><loc>https://astro.example/</loc></url>\n' +
        '  <url><loc>https://astro.example/launches/1</loc><lastmod>2027-01-01</lastmod></url>\n' +
        '</urlset>\n',
    );
  });

  it('escapes the URLs it lists', () => {
    expect(sitemapXml([{ loc: `${SALES}/?a=1&b=<2>` }])).toContain('<loc>https://astro.example/?a=1&amp;b=&lt;2&gt;</loc>');
  });

  it('is well-formed XML that a parser reads back', () => {
    const xml = sitemapXml([{ loc: `${SALES}/?x="&'` }]);
    const document = new DOMParser().parseFromString(xml, 'application/xml');
    expect(document.getElementsByTagName('parsererror')).toHaveLength(0);
    expect(document.getElementsByTagName('loc')[0].textContent).toBe(`${SALES}/?x="&'`);
  });

  it('writes an empty urlset for no entries', () => {
    expect(sitemapXml([])).toContain('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n</urlset>');
  });
});

describe('robotsTxt', () => {
  it('allows every crawler everything and gives the absolute sitemap URL', () => {
    expect(robotsTxt(SALES)).toBe('User-agent: *\nAllow: /\n\nSitemap: https://astro.example/sitemap.xml\n');
  });
});

describe('sitemapEntries', () => {
  it('lists the home page and every launch of every page', async () => {
    const pages = [pageOf(ids(0, 100), 1, 230), pageOf(ids(100, 100), 2, 230), pageOf(ids(200, 30), 3, 230)];
    const asked: number[] = [];
    const entries = await sitemapEntries(SALES, async (page, size) => {
      expect(size).toBe(100);
      asked.push(page);
      return pages[page - 1];
    });
    expect(asked).toEqual([1, 2, 3]);
    expect(entries).toHaveLength(231);
    expect(entries[0]).toEqual({ loc: 'https://astro.example/' });
    expect(entries[1]).toEqual({ loc: 'https://astro.example/launches/id-0' });
    expect(entries[230]).toEqual({ loc: 'https://astro.example/launches/id-229' });
  });

  it('stops after a full last page without asking for an empty one', async () => {
    const fetchPage = jest.fn(async (page: number) => pageOf(ids((page - 1) * 100, 100), page, 200));
    await sitemapEntries(SALES, fetchPage);
    expect(fetchPage).toHaveBeenCalledTimes(2);
  });

  it('stops on a short page even when the total grew meanwhile', async () => {
    const fetchPage = jest.fn(async () => pageOf(ids(0, 3), 1, 500));
    const entries = await sitemapEntries(SALES, fetchPage);
    expect(fetchPage).toHaveBeenCalledTimes(1);
    expect(entries).toHaveLength(4);
  });

  it('lists a launch once even when it moved to the next page during the walk', async () => {
    const pages = [pageOf(ids(0, 100), 1, 101), pageOf(['id-99', 'id-100'], 2, 102)];
    const entries = await sitemapEntries(SALES, async (page) => pages[page - 1]);
    expect(entries.filter((entry) => entry.loc.endsWith('/id-99'))).toHaveLength(1);
    expect(entries).toHaveLength(102);
  });

  it('lists only the home page when no launch is bookable', async () => {
    expect(await sitemapEntries(SALES, async () => pageOf([], 1, 0))).toEqual([{ loc: 'https://astro.example/' }]);
  });

  it('fails when the query API fails, rather than publishing a sitemap without launches', async () => {
    await expect(sitemapEntries(SALES, () => Promise.reject(new Error('down')))).rejects.toThrow('down');
  });
});

// jsdom has no fetch Response: the little of it the fetcher reads.
const answer = (status: number, body: unknown) => ({ ok: status < 300, status, json: async () => body });

describe('queryApiLaunchPages', () => {
  it('asks the query API for a page of bookable launches', async () => {
    const body = pageOf(['a'], 2, 101);
    const fetchFn = jest.fn(async () => answer(200, body));
    const page = await queryApiLaunchPages('http://query:8082', fetchFn as unknown as typeof fetch)(2, 100);
    expect(page).toEqual(body);
    expect(fetchFn).toHaveBeenCalledWith('http://query:8082/v1/launches?page=2&page_size=100', expect.anything());
  });

  it('fails on an answer that is not a success', async () => {
    const fetchFn = jest.fn(async () => answer(503, {}));
    await expect(queryApiLaunchPages('http://query:8082', fetchFn as unknown as typeof fetch)(1, 100)).rejects.toThrow(
      'answered 503',
    );
  });
});
