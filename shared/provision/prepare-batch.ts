import { byTemplate } from '../capacity/by-template';
import { podNameFor } from '../requests/identity';
import type { RequestRecord } from '../requests/record';
import type { OperatorSettings } from '../state/settings-store';
import { queueLimits } from '../queue/limits';
import { decideProvision } from './decide';
import { keptOutBy } from './kept-origin';
import type { ProvisionPorts } from './provision-request';
import { messageOf } from '../message-of';
import type { ProvisionMessage } from '../queue/messages';

/** What a batch read and reserved for one of its messages, so its own flow need not do it again. */
export interface Prepared {
  readonly record: RequestRecord | undefined;
  readonly runtime: OperatorSettings;
  /** Its slot was taken with the batch's (the record is `provisioning` and holds it now). */
  readonly reserved: boolean;
}

/** One SQS message of the batch: its id, and the request it names (absent if it names none). */
export interface BatchMessage {
  readonly messageId: string;
  readonly requestId: string | undefined;
}

/**
 * A message as the batch prepares it: a left agent's message (`agent`) only removes that agent, so
 * it names no request here and no slot is taken for it (its request's own message may be in the
 * same batch, and must be the one prepared).
 */
export const batchMessageOf = (messageId: string, message: ProvisionMessage | undefined): BatchMessage => ({
  messageId,
  requestId: message?.agent ? undefined : message?.requestId,
});

/**
 * Does for a whole SQS batch what each message would do alone at its start: one read of the
 * records (BatchGetItem) and of the run-time settings, and, per template, one transaction taking
 * the slots of every request that needs one. A batch of 10 thus makes 3 DynamoDB calls where its
 * messages would make 30, and the capacity counters (hot items under load) are written once. (A
 * lone message, the common case when builds come one at a time, is not prepared: a new build's
 * takes its slot on its snapshot without a read, steps/snapshot-start.ts.)
 *
 * A template whose slots do not all fit gets what room there is, one request at a time in the
 * batch's order, so the build queued first is the one that starts (its messages, each on its own,
 * would race for the slots). Best effort: a failure leaves the messages it had not reserved to read
 * their requests again and reserve on their own; those it had keep their slots and know it. A request
 * named twice in the batch is prepared for its first message only; the duplicate takes the ordinary
 * path, which finds the request taken and leaves it to the first.
 */
export async function prepareBatch(
  messages: readonly BatchMessage[],
  ports: ProvisionPorts,
): Promise<Map<string, Prepared>> {
  const firstMessage = new Map<string, string>();
  for (const message of messages)
    if (message.requestId && !firstMessage.has(message.requestId))
      firstMessage.set(message.requestId, message.messageId);
  if (firstMessage.size < 2) return new Map();
  try {
    const requestIds = [...firstMessage.keys()];
    const { records, settings: runtime } = ports.readBatch
      ? await ports.readBatch(requestIds)
      : await Promise.all([ports.requests.getMany(requestIds), ports.settings.get()]).then(
          ([records, settings]) => ({ records, settings }),
        );
    // In the batch's order (SQS's, roughly the order queued), not BatchGetItem's, which has none.
    const inOrder = [...firstMessage.keys()].flatMap((requestId) => records.get(requestId) ?? []);
    const { reserved, uncertain } = await reserveByTemplate(inOrder, runtime, ports);
    return new Map(
      [...firstMessage]
        .filter(([requestId]) => !uncertain.has(requestId))
        .map(([requestId, messageId]) => [
          messageId,
          { record: records.get(requestId), runtime, reserved: reserved.has(requestId) },
        ]),
    );
  } catch (error) {
    ports.logger.warn('could not prepare the batch; each message goes on its own', {
      error: messageOf(error),
    });
    return new Map();
  }
}

/**
 * The slots a batch took per template; `uncertain`, the requests of a template whose reservation
 * failed, which may have applied though its answer was lost: each reads its request again, rather
 * than act on the record as read before (bug 44).
 */
async function reserveByTemplate(
  records: readonly RequestRecord[],
  runtime: OperatorSettings,
  ports: ProvisionPorts,
): Promise<{ reserved: Set<string>; uncertain: Set<string> }> {
  const groups = new Map<string, RequestRecord[]>();
  for (const record of records) {
    if (decideProvision(record, runtime.drained).kind !== 'reserve' || !record.template) continue;
    const group = groups.get(record.template) ?? [];
    group.push(record);
    groups.set(record.template, group);
  }
  const reserved = new Set<string>();
  const uncertain = new Set<string>();
  for (const [name, group] of groups) {
    const template = ports.config.templates.find((candidate) => candidate.name === name);
    // A request the template's `from` leaves out takes no slot: its own flow fails it.
    const eligible = template
      ? group.filter((record) => !keptOutBy(template, record, ports.config.sources))
      : [];
    if (!template || eligible.length < 2) continue;
    const slot = {
      template: name,
      globalCap: runtime.globalCap ?? ports.config.capacity.globalCap,
      templateCap: byTemplate(runtime.templateCaps, name) ?? template.instanceCap,
      attemptSeconds: ports.attemptSeconds ?? queueLimits.provisionTimeoutSeconds,
    };
    const requests = eligible.map((record) => ({
      requestId: record.requestId,
      podName: podNameFor(name, record.requestId, record.attempts + 1),
      attempts: record.attempts,
    }));
    try {
      if (await ports.capacity.reserveMany({ ...slot, requests })) {
        for (const request of requests) reserved.add(request.requestId);
        continue;
      }
      // Not room for all: first come, first served, until a cap says no; the rest wait for a slot.
      for (const request of requests) {
        const one = await ports.capacity.reserve({ ...slot, ...request });
        if (one.reserved) reserved.add(request.requestId);
        else if (one.reason !== 'request-moved') break;
      }
    } catch (error) {
      // What was taken stays taken, and its messages know it; the others read their request again
      // and reserve on their own.
      for (const request of requests) if (!reserved.has(request.requestId)) uncertain.add(request.requestId);
      ports.logger.warn('could not reserve with the batch; the rest reserve on their own', {
        template: name,
        error: messageOf(error),
      });
    }
  }
  return { reserved, uncertain };
}
