import type { Clock } from '../ports/clock';
import { createHash } from 'node:crypto';
import type { AgentTemplate } from '../config/file-schema';
import type { LoggerPort } from '../ports/logger';
import type { ProvisionQueue } from '../ports/provision-queue';
import { QueueUnavailableError } from '../queue/errors';
import { requestIdFor } from '../requests/identity';
import { endingAsReaperDecided, type RequestRecord } from '../requests/record';
import { fromTheStateRead } from '../requests/transitions';
import { ciSources, isCiSource, type CiSource } from '../sources/names';
import { checkDelivery, type DeliveryCheck, type SignatureCheck } from '../sources/signature';
import { maxDeliveryIdBytes, type BuildEvent, type WebhookReceiver } from '../sources/types';
import { StateUnavailableError } from '../state/errors';
import { matchTemplate } from '../templates/match';
import type { DeliveryStore } from '../state/delivery-store';
import type { RequestStore } from '../state/request-store';
import { backlogRetryAfterSeconds, type BacklogGate } from './backlog';
import { enqueueBuild, newRecord } from './enqueue-build';
import type { WebhookOutcome } from './outcome';
import { messageOf } from '../message-of';

/** A configured CI's webhook side: its receiver, the secrets that may sign for it, its backlog cap. */
export interface ConfiguredWebhook {
  readonly receiver: WebhookReceiver;
  /** One, or more while a secret is rotated: any of them verifies. */
  readonly secrets: readonly string[];
  readonly maxBacklog: number;
  /**
   * Its webhook secret is gone or invalid, or could not be read for too long (the runtime's refresh,
   * shared/runtime/webhook-secrets.ts): nothing verifies, and every delivery is answered 503.
   */
  readonly closed?: boolean;
}
export type WebhookRegistry = Partial<Record<CiSource, ConfiguredWebhook>>;

export interface WebhookPorts {
  readonly webhooks: WebhookRegistry;
  readonly backlog: BacklogGate;
  readonly templates: readonly AgentTemplate[];
  /** The calls the webhook makes alone, so its bundle holds no others (functions/webhook/handler.ts). */
  readonly requests: Pick<RequestStore, 'createIfAbsent' | 'transition' | 'end'>;
  readonly deliveries: DeliveryStore;
  readonly queue: ProvisionQueue;
  readonly logger: LoggerPort;
  readonly now: Clock;
}

export interface WebhookRequest {
  readonly source: string | undefined;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: Buffer;
}

/**
 * The most a body whose signature covers it may have, checked before that signature: larger than any
 * workflow_job or Jenkins queue event, it keeps a flood of junk cheap to refuse.
 */
export const maxWebhookBytes = 512 * 1024;
/**
 * The most a body may have when a token in its headers proves it, checked after the token: Lambda's
 * own limit on a request (6 MB), so a CI's real delivery is never refused for its size by Pitcrew.
 * A GitLab Job Hook carries the pipeline's whole commit message, which anyone who may push writes,
 * and GitLab switches off a webhook that keeps failing.
 */
export const maxTokenWebhookBytes = 6 * 1024 * 1024;
const jsonContentType = /^application\/(json|cloudevents\+json)\s*(;.*)?$/i;

/**
 * Receives one CI webhook: checks size, content type and signature on the raw bytes before parsing,
 * parses and judges it through the source's receiver, deduplicates the delivery, then acts on the
 * event. Nothing is written or enqueued for a request that is refused.
 */
export async function receiveWebhook(request: WebhookRequest, ports: WebhookPorts): Promise<WebhookOutcome> {
  const admitted = admit(request, ports);
  if (admitted.kind !== 'admitted') return admitted;
  const { event } = admitted;
  try {
    return await handle(admitted, ports);
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

/** A verified, parsed and trusted delivery, with what identifies it for deduplication. */
interface Admitted {
  readonly kind: 'admitted';
  readonly event: BuildEvent;
  readonly configured: ConfiguredWebhook;
  /**
   * The CI's delivery id and a digest of the signed body: the id alone is an unsigned header, and a
   * captured body resent under the id of a delivery yet to come must not make that one a duplicate.
   */
  readonly dedupeKey: string;
  /** Which entry of the source's secret list signed it (a rotation is watched by this). */
  readonly secretIndex: number;
}

type Admission = WebhookOutcome | Admitted;

/** Everything decided from the request alone, before any read or write: who sent it, and what it says. */
function admit(request: WebhookRequest, ports: WebhookPorts): Admission {
  if (!isCiSource(request.source)) {
    return {
      kind: 'unknown-source',
      problem: `unknown source '${String(request.source)}'; use one of: ${ciSources.join(', ')}`,
    };
  }
  const configured = ports.webhooks[request.source];
  if (!configured)
    return {
      kind: 'unknown-source',
      problem: `source '${request.source}' is not configured on this Pitcrew`,
    };
  if (configured.closed)
    return {
      kind: 'unavailable',
      problem: `Pitcrew cannot verify ${request.source} deliveries right now (its webhook secret); retry the delivery`,
    };
  const { receiver } = configured;
  const check = (): DeliveryCheck =>
    checkDelivery(
      receiver.signing,
      request.headers,
      request.rawBody,
      configured.secrets,
      ports.now().getTime(),
    );
  // A token in the headers is checked first: it costs nothing whatever the body's size.
  const byHeaders = receiver.signing.provesByHeaders?.(request.headers) === true;
  const early = byHeaders ? check() : undefined;
  if (early && early.check !== 'valid') return unauthorized(receiver, early.check);
  const limitBytes = byHeaders ? maxTokenWebhookBytes : maxWebhookBytes;
  if (request.rawBody.length > limitBytes) return { kind: 'too-large', limitBytes };
  const contentType = request.headers['content-type'] ?? '';
  if (!jsonContentType.test(contentType)) return { kind: 'unsupported-media-type', contentType };

  const signature = early ?? check();
  if (signature.check !== 'valid') return unauthorized(receiver, signature.check);
  const secretIndex = signature.secretIndex ?? 0;
  const parsed = receiver.parseWebhook({ headers: request.headers, rawBody: request.rawBody });
  if (parsed.kind === 'refused') {
    ports.logger.warn('job refused', {
      source: request.source,
      subject: parsed.subject,
      reason: parsed.reason,
      problem: parsed.problem,
      secretIndex,
    });
    return parsed;
  }
  if (parsed.kind !== 'event') return parsed;
  // Each receiver's schema names the field that carries a too long id; this holds any receiver to it.
  if (Buffer.byteLength(parsed.event.deliveryId) > maxDeliveryIdBytes)
    return { kind: 'invalid', field: 'delivery id', problem: `is over ${maxDeliveryIdBytes} bytes (UTF-8)` };
  const digest = createHash('sha256').update(request.rawBody).digest('hex').slice(0, 16);
  const dedupeKey = `${parsed.event.deliveryId}#${digest}`;
  return { kind: 'admitted', event: parsed.event, configured, dedupeKey, secretIndex };
}

/**
 * Whether a queued build would be recorded: a template serves its labels. Only those count against
 * the backlog cap (a job for another runner fleet is ignored anyway, and gets no 429).
 */
const wouldRecord = (event: BuildEvent, ports: WebhookPorts): boolean =>
  event.action === 'queued' && matchTemplate(ports.templates, event).kind !== 'none';

/**
 * A verified event: the delivery's dedupe, the backlog cap, then the action. A queued build a
 * template serves is recorded first (its request's conditional write is a dedupe of its own: a
 * known build stops there), and the delivery marker is read only when that write finds the build
 * known or the backlog is full, so a new build costs two DynamoDB writes and one SendMessage.
 */
async function handle(admitted: Admitted, ports: WebhookPorts): Promise<WebhookOutcome> {
  const { event, configured, dedupeKey, secretIndex } = admitted;
  const received = (): Promise<boolean> => ports.deliveries.seen(event.source, dedupeKey);
  const duplicate: WebhookOutcome = {
    kind: 'ignored',
    reason: `delivery ${event.deliveryId} was already received`,
  };
  const recordsFirst = wouldRecord(event, ports);
  if (!recordsFirst && (await received())) return duplicate;
  // Checked before anything is written: past the cap, a flood costs one cached count and one read.
  // The retry of a delivery already taken is told so, not told to retry.
  if (recordsFirst && (await ports.backlog.isFull(event.source, configured.maxBacklog))) {
    if (await received()) return duplicate;
    ports.logger.warn('backlog full; answered 429, nothing recorded', {
      source: event.source,
      jobKey: event.jobKey,
      maxBacklog: configured.maxBacklog,
    });
    return {
      kind: 'backlog-full',
      retryAfterSeconds: backlogRetryAfterSeconds,
      problem: `${event.source} has ${configured.maxBacklog} or more builds waiting (maxBacklog); retry later`,
    };
  }
  const outcome = recordsFirst
    ? await enqueueBuild(event, {
        ...ports,
        duplicateOf: async () => ((await received()) ? duplicate : undefined),
      })
    : await actOn(event, ports);
  if (outcome === duplicate) return duplicate;
  if (outcome.kind === 'accepted') ports.backlog.admitted(event.source);
  // Remembered only once handled, so a delivery whose handling failed half-way (or whose marker
  // write was applied but answered with an error) is handled again when the CI retries it, never
  // taken for a duplicate. Acting twice is harmless: every write it makes is conditional. One of a
  // build no template serves wrote nothing and is not remembered either: it would cost a write a
  // delivery, outside the backlog cap, to say nothing new (a build's own, ignored as known, is: its
  // retry past a full backlog is then told it was received, not 429).
  if (!(outcome.kind === 'ignored' && outcome.unserved))
    await ports.deliveries.remember(event.source, dedupeKey).catch((error: unknown) =>
      ports.logger.warn('could not remember a handled delivery; a duplicate of it is handled again', {
        source: event.source,
        deliveryId: event.deliveryId,
        error: messageOf(error),
      }),
    );
  ports.logger.info('webhook handled', {
    source: event.source,
    jobKey: event.jobKey,
    action: event.action,
    outcome: outcome.kind,
    secretIndex,
  });
  return outcome;
}

const timestampChecks: readonly SignatureCheck[] = [
  'timestamp missing',
  'timestamp malformed',
  'outside the allowed window',
];

/** A 401 that names the header at fault, never the secret or the expected value. */
function unauthorized({ signing }: WebhookReceiver, check: SignatureCheck): WebhookOutcome {
  if (signing.timestampHeader && timestampChecks.includes(check)) {
    const window =
      check === 'outside the allowed window'
        ? ` (±${signing.toleranceSeconds ?? '?'} s of Pitcrew's clock: check the sender's clock; a replayed delivery ends here)`
        : '';
    return {
      kind: 'unauthorized',
      problem: `timestamp header ${signing.timestampHeader} is ${check.replace(/^timestamp /, '')}${window}`,
    };
  }
  return { kind: 'unauthorized', problem: `signature header ${signing.signatureHeader} is ${check}` };
}

async function actOn(event: BuildEvent, ports: WebhookPorts): Promise<WebhookOutcome> {
  const requestId = requestIdFor(event.source, event.jobKey);
  switch (event.action) {
    case 'queued':
      return enqueueBuild(event, ports);
    case 'started': {
      const started = await endBuild(event, requestId, 'started', ports);
      // Whatever the record said: the build may run on any of Pitcrew's agents (retire.ts).
      if (event.retireAgentsOnStart) await ports.queue.send({ requestId, retireAgentsOf: event.source });
      return started;
    }
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
  // A build no template serves (a static node's) needs no tombstone: a late `queued` for it makes
  // nothing anyway, and a `started` one would be an active request (bug 48). One whose event names no
  // labels may be ours (its `queued` event may have named them): it gets one.
  const match = event.labels.length > 0 ? matchTemplate(ports.templates, event) : undefined;
  const unserved = match?.kind === 'none' ? match.reason : undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const ended = await ports.requests.end(newRecord(event, requestId, ports.now()), to, {
      tombstone: unserved === undefined,
    });
    if (ended.kind === 'unknown')
      return { kind: 'ignored', requestId, reason: `${unserved}: nothing to record`, unserved: true };
    if (ended.kind === 'tombstoned') return { kind: 'recorded', requestId, status: to };
    if (ended.kind !== 'holds-slot') {
      // An attempt that failed may have left its agent registered (the CI was down for its removal
      // too), and nothing points at it once the request ends: provision removes an ended request's
      // agent that no pod runs (removeUnusedAgent), retrying while the CI fails for now (bug 60).
      if ((ended.kind === 'ended' || (ended.kind === 'already-ended' && ended.noted)) && to !== 'started')
        await sendForAgentRemoval(ended.record, ports);
      return { kind: 'recorded', requestId, status: ended.record.status };
    }
    // An operator cancelled it (ops `cancel`, bug 45), or the reaper ended it as it decided (bug 77):
    // that stands, and its agent goes as they said. The CI's end is noted on the reaper's, as on a
    // failed request (`note-ci-end`), so that `retry` refuses a build the CI ended.
    if (ended.record.status === 'ending' && ended.record.endReason !== undefined) {
      const noted =
        to === 'started' ||
        !endingAsReaperDecided(ended.record) ||
        ended.record.ciEnded !== undefined ||
        (await ports.requests.transition(requestId, ['ending'], 'ending', { ciEnded: to }, [], {
          holdsSlot: true,
        })) !== undefined;
      // Ended meanwhile (failed, by the reaper's next run): read again, and `note-ci-end` notes it.
      if (!noted) continue;
      return { kind: 'recorded', requestId, status: 'ending' };
    }
    if (to === 'started') {
      // Its agent took the build: the slot stays until the build ends.
      const from = fromTheStateRead('start', ended.record.status);
      if (from.length === 0) return { kind: 'ignored', requestId, reason: `build is ${ended.record.status}` };
      const started = await ports.requests.transition(requestId, from, 'started');
      if (started) return { kind: 'recorded', requestId, status: started.status };
      // It moved since the read (its slot given back, say): read again, and `end` may start it
      // elsewhere (bug 43).
      continue;
    }
    // It holds a slot, so its agent may live: the slot is kept until the agent is gone (a cap counts
    // live agents), and the provision function, which reaches the cluster, removes the agent now,
    // gives the slot back and wakes the oldest waiting request, seconds from now rather than at the
    // reaper's next run. The reaper finishes it if this message is lost.
    const ending = await ports.requests.transition(
      requestId,
      fromTheStateRead('mark-ending', ended.record.status),
      'ending',
      { endAs: to },
      // A reason left from an earlier run's end (a request an operator queued again before retry
      // cleared it) would make this end the reaper's or the operator's.
      ['endReason'],
      // Still holding it: `started` is held without one too (a build started elsewhere), and an
      // `ending` request with none has nothing to finish (bug 47). A miss reads again.
      { holdsSlot: true },
    );
    if (ending) {
      await ports.queue.send({ requestId });
      return { kind: 'recorded', requestId, status: 'ending' };
    }
  }
  throw new StateUnavailableError('ending a request (it kept changing)', { cause: undefined });
}

/**
 * Sends an ended request that names an agent its message, for provision to remove that agent if no
 * pod runs it. Best effort: the end is written, and a 503 now would not bring the message back (the
 * CI's retry finds the request ended), so a failed send is logged and the delivery stands.
 */
async function sendForAgentRemoval(record: RequestRecord, ports: WebhookPorts): Promise<void> {
  if (!record.podName) return;
  await ports.queue.send({ requestId: record.requestId }).catch((error: unknown) =>
    ports.logger.warn('could not send an ended request its message; an agent it named may stay listed', {
      requestId: record.requestId,
      podName: record.podName,
      error: String(error),
    }),
  );
}
