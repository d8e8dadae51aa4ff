import * as v from '../schema/valibot';
import type { CiModule } from '../sources/module';
import { ciSources } from '../sources/names';
import { ciModules } from '../sources/registry';

/**
 * A build request's states. `holdsSlot` (on the record) says whether it counts against the caps.
 * Which moves are allowed between them, who makes each and what it does with the slot is one table,
 * `requestMoves` in ./transitions.ts (drawn as a table in docs/state.md, which a test holds to it).
 * The usual path, by the table's move names:
 *
 *   queued ──reserve──> provisioning ──record-pod──> provisioned ──start──> started
 *   queued <──wake── waiting (at a cap, or drained)   provisioning ──requeue/release──> queued | failed
 *   one holding a slot ──mark-ending──> ending ──release (its agent removed)──> completed | cancelled
 *
 * `ending` keeps the slot until the agent is gone, so a cap counts every live agent: a Jenkins agent
 * stays connected after its build, and a new one must not start beside it over the cap.
 *
 * A completed/cancelled event for an unknown build writes a tombstone in that terminal state, so a
 * late `queued` event for it creates nothing.
 */
export const requestStatuses = [
  'queued',
  'waiting',
  'provisioning',
  'provisioned',
  'started',
  'ending',
  'completed',
  'cancelled',
  'failed',
] as const;
export type RequestStatus = (typeof requestStatuses)[number];

export const terminalStatuses: readonly RequestStatus[] = ['completed', 'cancelled', 'failed'];
export const isTerminal = (status: RequestStatus): boolean => terminalStatuses.includes(status);

/** The details schemas of the registered modules, as the tuple `variant` takes. */
type DetailsSchemasOf<Modules extends readonly CiModule[]> = {
  readonly [Index in keyof Modules]: Modules[Index]['detailsSchema'];
};
/** Each CI's `details`: its module's `detailsSchema` (shared/sources/<ci>/module.ts). */
const sourceDetailsSchema = v.variant(
  'source',
  ciModules.map((module) => module.detailsSchema) as unknown as DetailsSchemasOf<typeof ciModules>,
);

/** A request record as stored; parsed on every read so the code never trusts the item's shape. */
export const requestRecordSchema = v.object({
  requestId: v.string(),
  source: v.picklist(ciSources),
  jobKey: v.string(),
  status: v.picklist(requestStatuses),
  statusSince: v.string(),
  createdAt: v.string(),
  labels: v.optional(v.array(v.string()), []),
  details: sourceDetailsSchema,
  template: v.optional(v.string()),
  podName: v.optional(v.string()),
  url: v.optional(v.string()),
  holdsSlot: v.optional(v.boolean(), false),
  /**
   * Provisioning attempts: reserves, less those a passing failure took back before its agent ran
   * (`undoAttempt`). The next reserve's pod name comes from it (podNameFor, bug 57).
   */
  attempts: v.optional(v.int(), 0),
  /** Times the reaper gave the build another go (stuck or lost pod): what `retries` limits. */
  retriesUsed: v.optional(v.int(), 0),
  reason: v.optional(v.string()),
  externalId: v.optional(v.string()),
  /**
   * While an attempt is making this request's agent (epoch ms, at most the provision function's
   * timeout): another attempt with the same request (a duplicate message, a redelivery) waits until
   * then instead of making credentials of its own, which would replace the first attempt's.
   */
  attemptUntilMs: v.optional(v.number()),
  /**
   * What an `ending` request becomes once its agent is gone: what the CI said of the build, or what
   * the reaper decided of a pod it deleted while the CI kept its agent (`failed` past its lifetime).
   */
  endAs: v.optional(v.picklist(['completed', 'cancelled', 'failed'])),
  /**
   * On an `ending` request ops `cancel` marked (bug 45), or the reaper (bug 77): the reason it ends
   * with. Its agent goes even when busy, as a cancel's always did, and the CI's end event leaves it so.
   */
  endReason: v.optional(v.string()),
  /**
   * On a failed request (or one the reaper marked `ending`, which may end failed): the CI has since
   * ended its build so; no operator queues it again.
   */
  ciEnded: v.optional(v.picklist(['completed', 'cancelled'])),
  /** When an operator last queued a failed request again (ops retry, redrive): its wait starts anew. */
  requeuedAt: v.optional(v.string()),
  /** True when written by an end event before any queued event (see above). */
  tombstone: v.optional(v.boolean()),
  expiresAt: v.optional(v.number()),
});
export type RequestRecord = v.InferOutput<typeof requestRecordSchema>;

/** What an `ending` request becomes once its agent is gone (`endAs`). */
export const endStateOf = (record: RequestRecord): 'completed' | 'cancelled' | 'failed' =>
  record.endAs ?? 'completed';

/**
 * Whether the reaper marked this request `ending` (bug 77): as it decided of an agent it removed, not
 * as the CI or an operator said (an operator's mark ends `cancelled`).
 */
export const endingAsReaperDecided = (record: RequestRecord): boolean =>
  record.status === 'ending' && record.endReason !== undefined && record.endAs !== 'cancelled';

/** Why an `ending` request ended: the reason ops `cancel` or the reaper marked it with, else what the CI said. */
export const endReasonOf = (record: RequestRecord): string =>
  record.endReason ?? `the CI ${endStateOf(record)} the build`;

/** How long an ended request stays in the table before TTL removes it. */
export const endedRequestTtlSeconds = 14 * 24 * 3600;
