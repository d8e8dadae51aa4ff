/**
 * A Jenkins controller's URL, normalised: the adapter needs it when it is built, and the receiver to
 * match deliveries, so it lives apart from both.
 */

/** An http(s) URL as the controller's root: no credentials, query or fragment, a trailing slash. */
export function normaliseControllerUrl(raw: string | null | undefined): string | undefined {
  const url = absoluteUrl(raw);
  if (url === undefined) return undefined;
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

/** An absolute http(s) URL, or undefined. */
export function absoluteUrl(raw: string | null | undefined): URL | undefined {
  if (raw == null || !URL.canParse(raw)) return undefined;
  const url = new URL(raw);
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
}
