import type { SQSClient } from '@aws-sdk/client-sqs';
import type { AgentTemplate } from '../config/file-schema';
import type { LoggerPort } from '../ports/logger';
import { QueueUnavailableError } from '../queue/errors';
import { sendProvisionMessage } from '../queue/provision-queue';
import { requestIdFor } from '../requests/identity';
import { ciSources, isCiSource, type CiSource } from '../sources/names';
import { verifySignature } from '../sources/signature';
import type { BuildEvent, CiSourceAdapter } from '../sources/types';
import { StateUnavailableError } from '../state/errors';
import type { DeliveryStore } from '../state/delivery-store';
import type { RequestStore } from '../state/request-store';
import { enqueueBuild, newRecord } from './enqueue-build';
import type { WebhookOutcome } from './outcome';

/** A configured CI: its adapter and the secret its webhooks are signed with. */
export interface ConfiguredSource {
  readonly adapter: CiSourceAdapter;
  readonly webhookSecret: string;
}
export type SourceRegistry = Partial<Record<CiSource, ConfiguredSource>>;

export interface WebhookPorts {
  readonly sources: SourceRegistry;
  readonly templates: readonly AgentTemplate[];
  readonly requests: RequestStore;
  readonly deliveries: DeliveryStore;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly logger: LoggerPort;
  readonly now: () => Date;
}

export interface WebhookRequest {
  readonly source: string | undefined;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: Buffer;
}

/** Larger than any workflow_job or Jenkins queue event; keeps a flood of junk cheap to refuse. */
export const maxWebhookBytes = 512 * 1024;
const jsonContentType = /^application\/(json|cloudevents\+json)\s*(;.*)?$/i;

/**
 * Receives one CI webhook: checks size, content type and signature on the raw bytes before parsing,
 * parses it through the source's adapter, deduplicates the delivery, then acts on the event.
 * Nothing is written or enqueued for a request that is refused.
 */
export async function receiveWebhook(request: WebhookRequest, ports: WebhookPorts): Promise<WebhookOutcome> {
  if (!isCiSource(request.source)) {
    return {
      kind: 'unknown-source',
      problem: `unknown source '${String(request.source)}'; use one of: ${ciSources.join(', ')}`,
    };
  }
  const configured = ports.sources[request.source];
  if (!configured)
    return {
      kind: 'unknown-source',
      problem: `source '${request.source}' is not configured on this Pitcrew`,
    };
  if (request.rawBody.length > maxWebhookBytes) return { kind: 'too-large', limitBytes: maxWebhookBytes };
  const contentType = request.headers['content-type'] ?? '';
  if (!jsonContentType.test(contentType)) return { kind: 'unsupported-media-type', contentType };

  const signature = verifySignature(
    request.rawBody,
    request.headers[configured.adapter.signatureHeader],
    configured.webhookSecret,
  );
  if (signature !== 'valid') {
    return {
      kind: 'unauthorized',
      problem: `signature header ${configured.adapter.signatureHeader} is ${signature}`,
    };
  }
  const parsed = configured.adapter.parseWebhook({ headers: request.headers, rawBody: request.rawBody });
  if (parsed.kind !== 'event') return parsed;

  const event = parsed.event;
  try {
    if (await ports.deliveries.seen(event.source, event.deliveryId)) {
      return { kind: 'ignored', reason: `delivery ${event.deliveryId} was already received` };
    }
    const outcome = await actOn(event, ports);
    // Remembered only once handled, so a delivery whose handling failed half-way (or whose marker
    // write was applied but answered with an error) is handled again when the CI retries it, never
    // taken for a duplicate. Acting twice is harmless: every write it makes is conditional.
    await ports.deliveries.remember(event.source, event.deliveryId).catch((error: unknown) =>
      ports.logger.warn('could not remember a handled delivery; a duplicate of it is handled again', {
        source: event.source,
        deliveryId: event.deliveryId,
        error: error instanceof Error ? error.message : String(error),
      }),
    );
    ports.logger.info('webhook handled', {
      source: event.source,
      jobKey: event.jobKey,
      action: event.action,
      outcome: outcome.kind,
    });
    return outcome;
  } catch (error) {
    if (error instanceof StateUnavailableError || error instanceof QueueUnavailableError) {
      ports.logger.warn('webhook not handled; the CI should retry', {
        source: event.source,
        jobKey: event.jobKey,
        error: error.message,
      });
      return {
        kind: 'unavailable',
        problem: 'Pitcrew could not record the build right now; retry the delivery',
      };
    }
    throw error;
  }
}

async function actOn(event: BuildEvent, ports: WebhookPorts): Promise<WebhookOutcome> {
  const requestId = requestIdFor(event.source, event.jobKey);
  switch (event.action) {
    case 'queued':
      return enqueueBuild(event, ports);
    case 'started':
      return endBuild(event, requestId, 'started', ports);
    case 'completed':
    case 'cancelled':
      return endBuild(event, requestId, event.action, ports);
  }
}

/**
 * The CI ended (or started) a build. A request holding a slot gives it back now and wakes the
 * oldest waiting request, rather than a minute later at the next reaper run; its pod is the
 * reaper's to delete. A `started` just marks the request, and for an unknown build leaves a
 * tombstone, so a late `queued` provisions nothing for a build that already runs elsewhere.
 */
async function endBuild(
  event: BuildEvent,
  requestId: string,
  to: 'completed' | 'cancelled' | 'started',
  ports: WebhookPorts,
): Promise<WebhookOutcome> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const ended = await ports.requests.end(newRecord(event, requestId, ports.now()), to);
    if (ended.kind === 'tombstoned') return { kind: 'recorded', requestId, status: to };
    if (ended.kind !== 'holds-slot') return { kind: 'recorded', requestId, status: ended.record.status };
    if (to === 'started') {
      // Its agent took the build: the slot stays until the build ends.
      const started = await ports.requests.transition(requestId, ['provisioned', 'provisioning'], 'started');
      return started
        ? { kind: 'recorded', requestId, status: started.status }
        : { kind: 'ignored', requestId, reason: `build is ${ended.record.status}` };
    }
    // It holds a slot, so its agent may live: the slot is kept until the agent is gone (a cap counts
    // live agents), and the provision function, which reaches the cluster, removes the agent now,
    // gives the slot back and wakes the oldest waiting request, seconds from now rather than at the
    // reaper's next run. The reaper finishes it if this message is lost.
    const ending = await ports.requests.transition(requestId, [ended.record.status], 'ending', { endAs: to });
    if (ending) {
      await sendProvisionMessage(ports.sqs, ports.queueUrl, { requestId });
      return { kind: 'recorded', requestId, status: 'ending' };
    }
  }
  throw new StateUnavailableError('ending a request (it kept changing)', { cause: undefined });
}
