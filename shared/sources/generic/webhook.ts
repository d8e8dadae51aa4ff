import { parseContractDelivery } from '../parse-json';
import { pitcrewSigning } from '../signature';
import type { ParsedWebhook, WebhookInput, WebhookReceiver } from '../types';
import { deliveryHeader, deliveryIdSchema, genericWebhookSchema } from './contract';

/** The signed contract of contract.ts, under Pitcrew's timestamped signature (signature.ts). */
export function createGenericWebhookReceiver(
  settings: { readonly signatureToleranceSeconds?: number } = {},
): WebhookReceiver {
  return {
    name: 'generic',
    signing: pitcrewSigning(settings.signatureToleranceSeconds),
    parseWebhook: parseGenericWebhook,
  };
}

export function parseGenericWebhook(input: WebhookInput): ParsedWebhook {
  const parsed = parseContractDelivery(input, {
    header: deliveryHeader,
    idSchema: deliveryIdSchema,
    bodySchema: genericWebhookSchema,
  });
  if (!parsed.ok) return parsed.invalid;
  const { deliveryId, body } = parsed;
  return {
    kind: 'event',
    event: {
      source: 'generic',
      jobKey: body.job.id,
      action: body.action,
      labels: body.job.labels,
      deliveryId,
      url: body.job.url,
      details: { source: 'generic' },
    },
  };
}
