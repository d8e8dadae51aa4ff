import * as v from '../../schema/valibot';
import { invalidFromIssues, parseJsonBody } from '../parse-json';
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
  const delivery = v.safeParse(deliveryIdSchema, input.headers[deliveryHeader]);
  if (!delivery.success)
    return {
      kind: 'invalid',
      field: `header ${deliveryHeader}`,
      problem: 'is required (a unique id per delivery)',
    };
  const json = parseJsonBody(input.rawBody);
  if (!json.ok) return json.invalid;
  const body = v.safeParse(genericWebhookSchema, json.value);
  if (!body.success) return invalidFromIssues(body.issues);
  return {
    kind: 'event',
    event: {
      source: 'generic',
      jobKey: body.output.job.id,
      action: body.output.action,
      labels: body.output.job.labels,
      deliveryId: delivery.output,
      url: body.output.job.url,
      details: { source: 'generic' },
    },
  };
}
