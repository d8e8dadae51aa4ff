import type { Clock } from '../ports/clock';
import type { AgentTemplate } from '../config/file-schema';
import type { ProvisionQueue } from '../ports/provision-queue';
import { newRequestMessage } from '../queue/messages';
import { requestIdFor } from '../requests/identity';
import type { RequestRecord } from '../requests/record';
import type { BuildEvent } from '../sources/types';
import type { RequestStore } from '../state/request-store';
import { matchTemplate } from '../templates/match';
import type { WebhookOutcome } from './outcome';

export interface EnqueuePorts {
  readonly templates: readonly AgentTemplate[];
  readonly requests: Pick<RequestStore, 'createIfAbsent'>;
  readonly queue: Pick<ProvisionQueue, 'send'>;
  readonly now: Clock;
  /**
   * For a webhook: the answer to give when this very delivery was handled before (its marker is
   * set). Asked only when the build is known already, so a CI's retry is not acted on twice.
   */
  readonly duplicateOf?: () => Promise<WebhookOutcome | undefined>;
}

/**
 * A queued build, from a webhook or from the reaper's poll of a CI's queue: pick its template by
 * labels, record it only if new (a known build or a tombstone stops here, except a queued one whose
 * message may be lost), then enqueue it.
 */
export async function enqueueBuild(event: BuildEvent, ports: EnqueuePorts): Promise<WebhookOutcome> {
  const match = matchTemplate(ports.templates, event);
  if (match.kind === 'none') return { kind: 'ignored', reason: match.reason, unserved: true };
  const requestId = requestIdFor(event.source, event.jobKey);
  const record: RequestRecord = {
    ...newRecord(event, requestId, ports.now()),
    template: match.template.name,
  };
  const created = await ports.requests.createIfAbsent(record);
  if (!created.created) {
    const { existing } = created;
    const duplicate = await ports.duplicateOf?.();
    if (duplicate) return duplicate;
    // Queued and holding nothing: its message may never have been sent (a failed send, a crash), so
    // send it again. Provisioning is idempotent, so a second message costs nothing.
    if (existing.status !== 'queued' || existing.holdsSlot) {
      return { kind: 'ignored', requestId, reason: `build already known (${existing.status})` };
    }
    await ports.queue.send({ requestId });
    return {
      kind: 'ignored',
      requestId,
      reason: 'build already queued; its provision message was sent again',
    };
  }
  // If this send fails the record stays queued: the CI's retry, or the reaper's stale-queued rule, sends it.
  // The record goes with it, so provision can take its slot without reading it first (messages.ts).
  await ports.queue.send(newRequestMessage(record));
  return { kind: 'accepted', requestId };
}

export function newRecord(event: BuildEvent, requestId: string, now: Date): RequestRecord {
  const at = now.toISOString();
  return {
    requestId,
    source: event.source,
    jobKey: event.jobKey,
    status: 'queued',
    statusSince: at,
    createdAt: at,
    labels: [...event.labels],
    // The receiver built these in its module's detailsSchema's shape (the CI contract suite checks
    // each), and the record parses them with that schema on every read.
    details: event.details as RequestRecord['details'],
    url: event.url,
    holdsSlot: false,
    attempts: 0,
    retriesUsed: 0,
  };
}
