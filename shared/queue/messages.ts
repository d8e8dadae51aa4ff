import * as v from '../schema/valibot';
import type { RequestRecord } from '../requests/record';
import { ciSources } from '../sources/names';

/**
 * What the provision queue carries: the request id, and, in the message of the webhook (or poll) that
 * created the request, a snapshot of the record as created. The record in the table stays the truth:
 * provision acts on a snapshot only through a reservation whose conditions hold it to the record
 * (unchanged since created, the same digest: shared/provision/steps/snapshot-start.ts), and reads the
 * record when they fail or a message has none, so a stale or replayed message carries no stale
 * decision with it. A key this code does not know, or a value it cannot read, is refused: such a
 * message is a later release's (met during a deploy's swap, or after a rollback), and acted on in part
 * it could do the wrong thing (a message that only removes an agent read as a build to provision, the
 * review of upgrades, 2026-12-06). `laterReleaseMessage` tells it from one that is not ours at all,
 * and provision leaves it for SQS to deliver again, to the new code (docs/deploy.md).
 */
export const provisionMessageSchema = v.object({
  requestId: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  snapshot: v.optional(v.record(v.string(), v.unknown())),
  /**
   * A build of this CI started (Jenkins): take its agents that run a build out of rotation first,
   * whatever the request's state (shared/provision/steps/started-build.ts).
   */
  retireAgentsOf: v.optional(v.picklist(ciSources)),
  /**
   * An agent of this request that nothing else points at any more (an earlier attempt's, which its
   * CI failed to remove): the message removes it while no pod runs it, and does nothing else
   * (shared/provision/steps/ended-build.ts, `removeLeftAgent`).
   */
  agent: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(63))),
});
export type ProvisionMessage = v.InferOutput<typeof provisionMessageSchema>;

/**
 * The largest snapshot a message carries (its JSON's length); a larger record goes as its id alone
 * and is read. A record is a few hundred bytes; this keeps a message far under SQS's 256 KiB.
 */
export const maxSnapshotLength = 16 * 1024;

/** The message of a request just created: its id, with its record while that is small enough. */
export function newRequestMessage(record: RequestRecord): ProvisionMessage {
  return JSON.stringify(record).length <= maxSnapshotLength
    ? { requestId: record.requestId, snapshot: { ...record } }
    : { requestId: record.requestId };
}

/** A message body's JSON, or undefined when it is not JSON. */
function jsonOf(body: string | undefined): unknown {
  try {
    return JSON.parse(body ?? '');
  } catch {
    return undefined;
  }
}

/** A message body as a `ProvisionMessage`, or undefined when it is not one (not JSON, or another shape). */
export function readProvisionMessage(body: string | undefined): ProvisionMessage | undefined {
  const json = jsonOf(body);
  const parsed = v.safeParse(provisionMessageSchema, json);
  // Unknown keys checked here rather than with v.strictObject, which would bring 1.1 KiB of valibot
  // into a provision bundle that uses it nowhere else.
  const known = Object.keys(provisionMessageSchema.entries);
  return parsed.success && Object.keys(json as object).every((key) => known.includes(key))
    ? parsed.output
    : undefined;
}

/**
 * The request id of a body `readProvisionMessage` refused that still names one as ours do (a JSON
 * object with a `requestId` string): a later release's message, to be delivered again rather than
 * dropped. Undefined for anything else (not JSON, or no request id), which is not ours.
 */
export function laterReleaseMessage(body: string | undefined): string | undefined {
  const requestId = (jsonOf(body) as { requestId?: unknown } | null | undefined)?.requestId;
  return typeof requestId === 'string' && requestId !== '' ? requestId : undefined;
}
