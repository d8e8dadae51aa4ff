import * as v from '../../schema/valibot';
import { queueLimits } from '../../queue/limits';
import { requestDigest } from '../../requests/digest';
import { podNameFor } from '../../requests/identity';
import { requestRecordSchema, type RequestRecord } from '../../requests/record';
import { decideProvision } from '../decide';
import { keptOutBy } from '../kept-origin';
import type { PodRecorder } from '../record-batch';
import { attemptLog, type Attempt, type ProvisionPorts } from '../types';
import { slotOf } from './start-attempt';

/**
 * A new request's message carries its record as created (shared/queue/messages.ts). This takes its
 * slot on that snapshot and on the operator settings this container read last, in one transaction
 * that holds both to what is stored (the capacity port's `reserveFresh`: the request still queued,
 * never reserved, of the snapshot's digest; the settings at the version read), where the usual way
 * reads them first: one DynamoDB round trip fewer between a webhook and its pod.
 *
 * Undefined, with nothing written, when it cannot (no settings read yet, a snapshot that is not a
 * queued record of this request, a decision other than `reserve`) or the transaction's conditions
 * fail: the message then goes the usual way, reading the request and the settings, so every case but
 * the plain new build (drained, at a cap, moved, redelivered, tampered with) is decided as before.
 */
export async function startFromSnapshot(
  requestId: string,
  snapshot: Readonly<Record<string, unknown>>,
  ports: ProvisionPorts,
  lastAttempt: boolean,
  recordPod: PodRecorder | undefined,
): Promise<Attempt | undefined> {
  const latest = ports.latestSettings?.();
  if (!latest) return undefined;
  const read = readSnapshot(requestId, snapshot);
  if (!read) return undefined;
  const { record, digest } = read;
  if (decideProvision(record, latest.settings.drained).kind !== 'reserve') return undefined;
  const template = ports.config.templates.find((candidate) => candidate.name === record.template);
  // The usual way fails the request, without a slot.
  if (!template || keptOutBy(template, record, ports.config.sources)) return undefined;
  const attempt: Attempt = {
    record,
    template,
    podName: podNameFor(template.name, requestId),
    runtime: latest.settings,
    lastAttempt,
    attemptSeconds: ports.attemptSeconds ?? queueLimits.provisionTimeoutSeconds,
    resumed: false,
    podCreated: false,
    recordPod,
  };
  const taken = await ports.capacity.reserveFresh({
    ...slotOf(attempt, ports),
    digest,
    settingsVersion: latest.version,
  });
  if (!taken) return undefined;
  attemptLog(ports, record)('slot reserved on the message snapshot', {
    template: template.name,
    podName: attempt.podName,
  });
  return attempt;
}

/**
 * The snapshot as the record it claims to be, and its digest; undefined for anything else (not a
 * record, another request's, too deeply nested to digest). The digest is of the snapshot as sent,
 * before parsing: the same JSON the webhook's record was. The attempt gets only what the digest and
 * the transaction vouch for: the unchanging fields, and the state of a record as created.
 */
function readSnapshot(
  requestId: string,
  snapshot: Readonly<Record<string, unknown>>,
): { readonly record: RequestRecord; readonly digest: string } | undefined {
  try {
    const parsed = v.safeParse(requestRecordSchema, snapshot);
    if (!parsed.success || parsed.output.requestId !== requestId) return undefined;
    const { source, jobKey, createdAt, template, labels, details, url } = parsed.output;
    return {
      record: {
        requestId,
        source,
        jobKey,
        createdAt,
        template,
        labels,
        details,
        url,
        status: 'queued',
        statusSince: createdAt,
        holdsSlot: false,
        attempts: 0,
        retriesUsed: 0,
      },
      digest: requestDigest(snapshot),
    };
  } catch {
    return undefined;
  }
}
