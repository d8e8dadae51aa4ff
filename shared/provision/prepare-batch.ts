import { podNameFor } from '../requests/identity';
import type { RequestRecord } from '../requests/record';
import type { RuntimeSettings } from '../state/settings-store';
import { queueLimits } from '../queue/limits';
import { decideProvision } from './decide';
import type { ProvisionPorts } from './provision-request';

/** What a batch read and reserved for one of its messages, so its own flow need not do it again. */
export interface Prepared {
  readonly record: RequestRecord | undefined;
  readonly runtime: RuntimeSettings;
  /** Its slot was taken with the batch's (the record is `provisioning` and holds it now). */
  readonly reserved: boolean;
}

/** One SQS message of the batch: its id, and the request it names (absent if it names none). */
export interface BatchMessage {
  readonly messageId: string;
  readonly requestId: string | undefined;
}

/**
 * Does for a whole SQS batch what each message would do alone at its start: one read of the
 * records (BatchGetItem) and of the run-time settings, and, per template, one transaction taking
 * the slots of every request that needs one. A batch of 10 thus makes 3 DynamoDB calls where its
 * messages would make 30, and the capacity counters (hot items under load) are written once.
 *
 * Best effort: a template whose slots do not all fit, or any failure here, leaves those messages
 * unprepared and each reserves on its own as before (which fills what room there is). A request
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
    const [records, runtime] = await Promise.all([
      ports.requests.getMany([...firstMessage.keys()]),
      ports.settings.get(),
    ]);
    const reserved = await reserveByTemplate([...records.values()], runtime, ports);
    return new Map(
      [...firstMessage].map(([requestId, messageId]) => [
        messageId,
        { record: records.get(requestId), runtime, reserved: reserved.has(requestId) },
      ]),
    );
  } catch (error) {
    ports.logger.warn('could not prepare the batch; each message goes on its own', {
      error: error instanceof Error ? error.message : String(error),
    });
    return new Map();
  }
}

async function reserveByTemplate(
  records: readonly RequestRecord[],
  runtime: RuntimeSettings,
  ports: ProvisionPorts,
): Promise<Set<string>> {
  const byTemplate = new Map<string, RequestRecord[]>();
  for (const record of records) {
    if (decideProvision(record, runtime.drained).kind !== 'reserve' || !record.template) continue;
    byTemplate.set(record.template, [...(byTemplate.get(record.template) ?? []), record]);
  }
  const reserved = new Set<string>();
  for (const [name, group] of byTemplate) {
    const template = ports.config.templates.find((candidate) => candidate.name === name);
    if (!template || group.length < 2) continue;
    const taken = await ports.capacity.reserveMany({
      template: name,
      requests: group.map((record) => ({
        requestId: record.requestId,
        podName: podNameFor(name, record.requestId),
      })),
      globalCap: runtime.globalCap ?? ports.config.capacity.globalCap,
      templateCap: runtime.templateCaps[name] ?? template.instanceCap,
      from: ['queued', 'waiting'],
      attemptSeconds: ports.attemptSeconds ?? queueLimits.provisionTimeoutSeconds,
    });
    if (taken) for (const record of group) reserved.add(record.requestId);
  }
  return reserved;
}
