import * as v from '../../schema/valibot';
import { notText } from '../text';
import { buildLinkSchema } from '../build-link';
import { buildActions } from '../types';

/**
 * The generic webhook contract any CI can call (docs/generic-webhook.md):
 *   POST /webhooks/generic
 *   X-Pitcrew-Delivery: <unique id per delivery, at most 200 characters>
 *   X-Pitcrew-Timestamp: <Unix seconds when signed>
 *   X-Pitcrew-Signature-256: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the shared secret>
 *   { "action": "queued"|"started"|"completed"|"cancelled",
 *     "job": { "id": "build-42", "labels": ["linux"], "url": "https://ci.example.com/build/42" } }
 * Unknown fields are refused, so a sender cannot believe it set something (an image, an env var)
 * that Pitcrew ignores.
 */
export const genericLabel = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(63),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9._\-/:]*$/, 'must be letters, digits and . _ - / : only'),
);

export const genericWebhookSchema = v.strictObject({
  action: v.picklist(buildActions),
  job: v.strictObject({
    id: v.pipe(
      v.union([
        v.pipe(
          v.string(),
          v.minLength(1),
          v.maxLength(200),
          v.check((id) => !notText.test(id), 'must be text (no control character, no unpaired surrogate)'),
        ),
        v.pipe(v.int(), v.minValue(0)),
      ]),
      v.transform(String),
    ),
    labels: v.optional(v.pipe(v.array(genericLabel), v.maxLength(32)), []),
    url: v.optional(buildLinkSchema),
  }),
});

export type GenericWebhook = v.InferOutput<typeof genericWebhookSchema>;

export const deliveryHeader = 'x-pitcrew-delivery';
