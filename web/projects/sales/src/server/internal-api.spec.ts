import { queryApiInternalUrl, transferCacheOriginMap } from './internal-api';

describe('queryApiInternalUrl', () => {
  it('is the public URL when QUERY_API_INTERNAL_URL is unset or blank', () => {
    expect(queryApiInternalUrl({}, 'https://query.astro.example')).toBe('https://query.astro.example');
    expect(queryApiInternalUrl({ QUERY_API_INTERNAL_URL: '  ' }, 'https://query.astro.example')).toBe(
      'https://query.astro.example',
    );
  });

  it('is QUERY_API_INTERNAL_URL without its trailing slash when set', () => {
    expect(queryApiInternalUrl({ QUERY_API_INTERNAL_URL: 'http://query-api:8082/' }, 'https://q.example')).toBe(
      'http://query-api:8082',
    );
  });

  it('refuses a value that is not an http(s) URL', () => {
    expect(() => queryApiInternalUrl({ QUERY_API_INTERNAL_URL: 'query-api' }, 'https://q.example')).toThrow(
      'not a URL',
    );
    expect(() => queryApiInternalUrl({ QUERY_API_INTERNAL_URL: 'ftp://query-api' }, 'https://q.example')).toThrow(
      'not an http(s) URL',
    );
  });
});

describe('transferCacheOriginMap', () => {
  it('maps the internal origin to the public one', () => {
    expect(transferCacheOriginMap('http://query-api:8082', 'https://query.astro.example/')).toEqual({
      'http://query-api:8082': 'https://query.astro.example',
    });
  });

  it('is empty when the server and the browser use the same origin', () => {
    expect(transferCacheOriginMap('http://127.0.0.1:8082', 'http://127.0.0.1:8082')).toEqual({});
  });
});
