import * as v from '../../schema/valibot';
import { invalidFromIssues, parseJsonBody } from '../parse-json';
import { pitcrewSigning } from '../signature';
import type {
  AgentCredentials,
  CiSourceAdapter,
  ParsedWebhook,
  WebhookInput,
  WebhookReceiver,
} from '../types';
import { deliveryHeader, deliveryIdSchema, genericWebhookSchema } from './contract';

export interface GenericSourceOptions {
  /** A static token handed to every generic agent as PITCREW_AGENT_TOKEN (in a Secret), if the CI needs one. */
  readonly agentToken?: string;
}

/** Any CI, through the documented contract in contract.ts. It has no agent registry to talk to. */
export function createGenericSource(options: GenericSourceOptions = {}): CiSourceAdapter {
  return {
    name: 'generic',
    async createAgentCredentials(request): Promise<AgentCredentials> {
      return {
        secretEnv: options.agentToken ? { PITCREW_AGENT_TOKEN: options.agentToken } : {},
        env: { PITCREW_AGENT_NAME: request.agentName, PITCREW_REQUEST_ID: request.requestId },
      };
    },
    async deregisterAgent(): Promise<void> {
      // Nothing registered at the CI: the pod is the whole agent.
    },
  };
}

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
