import { z } from 'zod';
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
  .min(1)
  .max(63)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._\-/:]*$/, 'must be letters, digits and . _ - / : only');

export const genericWebhookSchema = z
  .object({
    action: z.enum(buildActions),
    job: z
      .object({
        id: z.union([z.string().min(1).max(200), z.number().int().nonnegative()]).transform(String),
        labels: z.array(genericLabel).max(32).default([]),
        url: z.url().max(2000).optional(),
      })
      .strict(),
  })
  .strict();

export type GenericWebhook = z.infer<typeof genericWebhookSchema>;

export const deliveryHeader = 'x-pitcrew-delivery';
export const deliveryIdSchema = z.string().min(1).max(200);
