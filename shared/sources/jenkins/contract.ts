import * as v from '../../schema/valibot';
import { ciBuildLinkSchema } from '../build-link';
import { buildActions } from '../types';
import { parseLabelExpression } from './label-expression';

/**
 * Jenkins queue item ids are positive longs (hudson.model.Queue.Item#getId); senders write them as
 * numbers, a shell script may quote them.
 */
export const queueItemIdSchema = v.pipe(
  v.union([v.number(), v.pipe(v.string(), v.regex(/^\d+$/, 'must be a number'), v.transform(Number))]),
  // A number again after the transform (a string of 400 digits is Infinity), then whole: the
  // message is for fractions, not for other types.
  v.finite(),
  v.safeInteger('must be a whole number'),
  v.gtValue(0, 'must be positive'),
  v.maxValue(Number.MAX_SAFE_INTEGER),
);

/** A label or a label expression, as a build asks for it: `linux`, `linux && docker`. */
export const labelExpressionSchema = v.pipe(
  v.string(),
  v.trim(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(500),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const parsed = parseLabelExpression(dataset.value);
    if (!parsed.ok) addIssue({ message: `is not a Jenkins label expression: ${parsed.problem}` });
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
export const jenkinsContractSchema = v.strictObject({
  action: v.picklist(buildActions),
  job: v.strictObject({
    id: queueItemIdSchema,
    labels: v.optional(v.pipe(v.array(labelExpressionSchema), v.maxLength(32)), []),
    // Jenkins' own link (the script sends rootUrl + task.url, percent-encoded): one Pitcrew cannot
    // keep is dropped, never the build (ciBuildLinkSchema).
    url: ciBuildLinkSchema,
  }),
});

export const deliveryHeader = 'x-pitcrew-delivery';
export const deliveryIdSchema = v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(200));
