import * as v from '../schema/valibot';
import { notText } from './text';

/**
 * A link to a build as a CI gives it (a webhook's or a poll's `web_url`, `html_url`, the generic
 * contract's `job.url`), kept on its request and shown by the ops actions: an http(s) URL of at most
 * 2,000 characters, so that no `javascript:` or `data:` link reaches a page that shows it as one, and
 * without a user name or password, which the record, the logs and every operator would then hold,
 * and text (kept on a record: DynamoDB's UTF-8 holds no half of a surrogate pair).
 */
export const buildLinkSchema = v.pipe(
  v.url(),
  v.maxLength(2000),
  v.regex(/^https?:\/\//i, 'must be an http(s) URL'),
  v.check((link) => !/^https?:\/\/[^/?#]*@/i.test(link), 'must not carry a user name or password'),
  v.check((link) => !notText.test(link), 'must be text (no control character, no unpaired surrogate)'),
);

/**
 * A CI's own link to a build (its webhook's, its API's): kept when it is `buildLinkSchema`, dropped
 * (undefined) when not, and a null is none. A link is for display: refusing the delivery, or skipping
 * a polled job, for one would lose the build (GitLab, whose failing webhooks are dropped, has project
 * paths of up to 2,048 characters). The generic contract's `job.url` stays strict: its sender is told.
 */
export const ciBuildLinkSchema = v.fallback(
  v.pipe(
    v.nullish(buildLinkSchema),
    v.transform((link) => link ?? undefined),
  ),
  undefined,
);

/** A CI's link as `ciBuildLinkSchema` keeps it: the link, or undefined. */
export const keptLink = (raw: unknown): string | undefined => v.parse(ciBuildLinkSchema, raw);
