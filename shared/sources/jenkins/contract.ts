import { z } from 'zod';
import { buildActions } from '../types';
import { parseLabelExpression } from './label-expression';

/**
 * Jenkins queue item ids are positive longs (hudson.model.Queue.Item#getId); senders write them as
 * numbers, a shell script may quote them.
 */
export const queueItemIdSchema = z
  .union([z.number(), z.string().regex(/^\d+$/, 'must be a number').transform(Number)])
  .pipe(z.number().int('must be a whole number').positive('must be positive').max(Number.MAX_SAFE_INTEGER));

/** A label or a label expression, as a build asks for it: `linux`, `linux && docker`. */
export const labelExpressionSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(500)
  .superRefine((text, ctx) => {
    const parsed = parseLabelExpression(text);
    if (!parsed.ok)
      ctx.addIssue({ code: 'custom', message: `is not a Jenkins label expression: ${parsed.problem}` });
  });

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
export const jenkinsContractSchema = z
  .object({
    action: z.enum(buildActions),
    job: z
      .object({
        id: queueItemIdSchema,
        labels: z.array(labelExpressionSchema).max(32).default([]),
        url: z
          .url({ protocol: /^https?$/ })
          .max(2000)
          .optional(),
      })
      .strict(),
  })
  .strict();

export type JenkinsContract = z.infer<typeof jenkinsContractSchema>;

export const deliveryHeader = 'x-pitcrew-delivery';
export const deliveryIdSchema = z.string().trim().min(1).max(200);
