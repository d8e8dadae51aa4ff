import * as z from '../../schema/zod';
import { buildActions } from '../types';

/**
 * The generic webhook contract any CI can call (docs/generic-webhook.md):
 *   POST /webhooks/generic
 *   X-Pitcrew-Delivery: <unique id per delivery>
 *   X-Pitcrew-Signature-256: sha256=<hex HMAC-SHA256 of the body with the shared secret>
 *   { "action": "queued"|"started"|"completed"|"cancelled",
 *     "job": { "id": "build-42", "labels": ["linux"], "url": "https://ci.example.com/build/42" } }
 * Unknown fields are refused, so a sender cannot believe it set something (an image, an env var)
 * that Pitcrew ignores.
 */
export const genericLabel = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(63),
    z.regex(/^[A-Za-z0-9][A-Za-z0-9._\-/:]*$/, 'must be letters, digits and . _ - / : only'),
  );

export const genericWebhookSchema = z.strictObject({
  action: z.enum(buildActions),
  job: z.strictObject({
    id: z.pipe(
      z.union([z.string().check(z.minLength(1), z.maxLength(200)), z.int().check(z.nonnegative())]),
      z.transform(String),
    ),
    labels: z._default(z.array(genericLabel).check(z.maxLength(32)), []),
    url: z.optional(z.url().check(z.maxLength(2000))),
  }),
});

export type GenericWebhook = z.infer<typeof genericWebhookSchema>;

export const deliveryHeader = 'x-pitcrew-delivery';
export const deliveryIdSchema = z.string().check(z.minLength(1), z.maxLength(200));
