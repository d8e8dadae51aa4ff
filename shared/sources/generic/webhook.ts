import { parseContractDelivery } from '../parse-json';
import { pitcrewSigning } from '../signature';
import type { ParsedWebhook, WebhookInput, WebhookReceiver } from '../types';
import { deliveryHeader, genericWebhookSchema } from './contract';

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
    bodySchema: genericWebhookSchema,
  });
  if (!parsed.ok) return parsed.invalid;
  const { deliveryId, body } = parsed;
  // A queued build is served by its labels: without any, no template could serve it, and a 2xx
  // would tell the sender it was taken (docs/generic-webhook.md: `job.labels`, for `queued`).
  if (body.action === 'queued' && body.job.labels.length === 0)
    return {
      kind: 'invalid',
      field: 'job.labels',
      problem: 'must name at least one label for a queued build',
    };
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
