import * as z from '../../schema/zod';
import { buildActions } from '../types';
import { parseLabelExpression } from './label-expression';

/**
 * Jenkins queue item ids are positive longs (hudson.model.Queue.Item#getId); senders write them as
 * numbers, a shell script may quote them.
 */
export const queueItemIdSchema = z.pipe(
  z.union([z.number(), z.pipe(z.string().check(z.regex(/^\d+$/, 'must be a number')), z.transform(Number))]),
  // z.number() with an int check, not z.int(msg): the message is for fractions, not for other types.
  z
    .number()
    .check(
      z.int('must be a whole number'),
      z.positive('must be positive'),
      z.maximum(Number.MAX_SAFE_INTEGER),
    ),
);

/** A label or a label expression, as a build asks for it: `linux`, `linux && docker`. */
export const labelExpressionSchema = z.string().check(
  z.trim(),
  z.minLength(1, 'must not be empty'),
  z.maxLength(500),
  z.superRefine((text, ctx) => {
    const parsed = parseLabelExpression(text);
    if (!parsed.ok)
      ctx.addIssue({ code: 'custom', message: `is not a Jenkins label expression: ${parsed.problem}` });
  }),
);

/**
 * What the QueueListener script and the pipeline-step curl of docs/jenkins.md send:
 *   POST /webhooks/jenkins
 *   X-Pitcrew-Delivery: <unique id per delivery>
 *   X-Pitcrew-Signature-256: sha256=<hex HMAC-SHA256 of the body with the shared secret>
 *   { "action": "queued", "job": { "id": 1234, "labels": ["linux && docker"], "url": "https://ci/job/app/" } }
 * `job.id` is the queue item id; each `labels` entry is a label or label expression, all of them
 * required. Unknown fields are refused, as in the generic contract, so a sender cannot believe it set
 * something Pitcrew ignores.
 */
export const jenkinsContractSchema = z.strictObject({
  action: z.enum(buildActions),
  job: z.strictObject({
    id: queueItemIdSchema,
    labels: z._default(z.array(labelExpressionSchema).check(z.maxLength(32)), []),
    url: z.optional(z.url({ protocol: /^https?$/ }).check(z.maxLength(2000))),
  }),
});

export const deliveryHeader = 'x-pitcrew-delivery';
export const deliveryIdSchema = z.string().check(z.trim(), z.minLength(1), z.maxLength(200));
