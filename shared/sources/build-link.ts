import * as v from '../schema/valibot';

/**
 * A link to a build as a CI gives it (a webhook's or a poll's `web_url`, `html_url`, the generic
 * contract's `job.url`), kept on its request and shown by the ops actions: an http(s) URL of at most
 * 2,000 characters, so that no `javascript:` or `data:` link reaches a page that shows it as one.
 */
export const buildLinkSchema = v.pipe(
  v.url(),
  v.maxLength(2000),
  v.regex(/^https?:\/\//i, 'must be an http(s) URL'),
);
