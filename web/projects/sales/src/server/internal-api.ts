/*
 * The server reaches the query API by an internal address when it has one
 * (`QUERY_API_INTERNAL_URL`, e.g. a service name inside the cluster), while
 * the browser uses the public `QUERY_API_URL`.
 */

/** The query API as this server reaches it: `QUERY_API_INTERNAL_URL`, else the public URL. */
export function queryApiInternalUrl(env: Readonly<Record<string, string | undefined>>, publicUrl: string): string {
  const raw = env['QUERY_API_INTERNAL_URL']?.trim();
  if (!raw) {
    return publicUrl;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`QUERY_API_INTERNAL_URL is not a URL: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`QUERY_API_INTERNAL_URL is not an http(s) URL: ${raw}`);
  }
  return raw.replace(/\/+$/, '');
}

/**
 * The HttpClient transfer cache's origin map: the server's answers from the
 * internal origin are the browser's from the public one, so that hydration
 * reuses them instead of fetching again. Empty when both are the same.
 */
export function transferCacheOriginMap(internalUrl: string, publicUrl: string): Record<string, string> {
  const internal = new URL(internalUrl).origin;
  const external = new URL(publicUrl).origin;
  return internal === external ? {} : { [internal]: external };
}
