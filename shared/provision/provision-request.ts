import { queueLimits } from '../queue/limits';
import type { CiSource } from '../sources/names';
import { podNameFor } from '../requests/identity';
import { isTerminal, type RequestRecord } from '../requests/record';
import { RetryLaterError } from './errors';
import { decideProvision } from './decide';
import { failureKindOf } from './failure-kind';
import { keptOutBy } from './kept-origin';
import type { Prepared } from './prepare-batch';
import type { PodRecorder } from './record-batch';
import { makeAgent, recordAgent, type MadeAgent } from './steps/make-agent';
import { claimAttempt, reserveSlot, resumeAttempt } from './steps/start-attempt';
import { startFromSnapshot } from './steps/snapshot-start';
import { retireBusyAgents, type RetireOnce } from './steps/started-build';
import { failLeftOut, markWaiting } from './steps/without-agent';
import type { Attempt, ProvisionOutcome, ProvisionPorts } from './types';

export type { ProvisionOutcome, ProvisionPorts } from './types';

/**
 * The steps of a build that ended under its attempt, of an agent left behind, and of a failed
 * attempt: loaded on first use, as most deliveries take none of them, so a cold start does not load
 * their code (about 5 KiB with what only they use: docs/performance.md). A failure's step is a local
 * import, which an outage of the cluster, the CI or AWS does not reach.
 */
const endedBuild = () => import('./steps/ended-build');
const failure = () => import('./steps/failure');

/** What a message brings beside its request id, from its batch or from itself. */
export interface MessageContext {
  /** What the batch already read and reserved for this message (prepare-batch.ts), if anything. */
  readonly prepared?: Prepared;
  /** Records the pod with the batch's others (record-batch.ts); alone when absent. */
  readonly recordPod?: PodRecorder;
  /** The record as created, when the message carries it (shared/queue/messages.ts). */
  readonly snapshot?: Readonly<Record<string, unknown>>;
  /** A build of this CI started: take its busy agents out of rotation first (steps/started-build.ts). */
  readonly retireAgentsOf?: CiSource;
  /** Shares that with the batch's other messages that ask it (retireOncePerBatch). */
  readonly retireOnce?: RetireOnce;
  /** An agent of the request left registered: remove it, and nothing else (steps/ended-build.ts). */
  readonly agent?: string;
}

/**
 * Provisions one request: reserve a slot, ask the CI for the agent's credentials, create the pod and
 * its Secret, record the pod. Returns what happened; throws `RetryLaterError` for a transient failure
 * (the slot is given back first unless the pod already exists), so SQS delivers the message again.
 * `lastAttempt` is true on the delivery after which SQS gives up: the request is failed then (and the
 * error still thrown), so the record says why the message is in the dead-letter queue.
 */
export async function provisionRequest(
  requestId: string,
  ports: ProvisionPorts,
  lastAttempt = false,
  { prepared, recordPod, snapshot, retireAgentsOf, retireOnce, agent }: MessageContext = {},
): Promise<ProvisionOutcome> {
  if (agent) return (await endedBuild()).removeLeftAgent(requestId, agent, ports, lastAttempt);
  if (retireAgentsOf) await retireBusyAgents(retireAgentsOf, requestId, ports, lastAttempt, retireOnce);
  const fresh =
    snapshot && !prepared
      ? await startFromSnapshot(requestId, snapshot, ports, lastAttempt, recordPod)
      : undefined;
  if (fresh) return makeAndRecordAgent(fresh, false, ports);

  const [record, runtime] = prepared
    ? [prepared.record, prepared.runtime]
    : ports.readBatch
      ? await ports
          .readBatch([requestId])
          .then(({ records, settings }) => [records.get(requestId), settings] as const)
      : await Promise.all([ports.requests.get(requestId), ports.settings.get()]);
  const decision = decideProvision(record, runtime.drained);
  if (decision.kind === 'finish' && record)
    return (await endedBuild()).finishOrLeaveToReaper(record, runtime, ports, lastAttempt);
  if (decision.kind === 'skip' || !record) {
    if (record && isTerminal(record.status))
      await (await endedBuild()).removeUnusedAgent(record, ports, lastAttempt);
    return { kind: 'skipped', reason: decision.kind === 'skip' ? decision.reason : 'no record' };
  }
  const template = ports.config.templates.find((candidate) => candidate.name === record.template);
  const resuming = decision.kind === 'resume';
  // A template this release does not know, for a build queued moments ago, is one a deploy is adding
  // (this container runs the release before it): SQS delivers the message again, by then to the new
  // code; the last delivery, or a build queued long ago, fails as the template is gone.
  if (!template && !lastAttempt && recentlyQueued(record, ports))
    throw new RetryLaterError(`template '${record.template}' is not configured here yet`);
  if (!template)
    return failLeftOut(
      record,
      undefined,
      resuming,
      `template '${record.template}' is no longer configured`,
      ports,
      lastAttempt,
    );
  const keptOut = keptOutBy(template, record, ports.config.sources);
  if (keptOut) return failLeftOut(record, template, resuming, keptOut, ports, lastAttempt);
  if (decision.kind === 'wait') return markWaiting(record, decision.reason, ports);

  const attempt: Attempt = {
    record,
    template,
    // A resumed attempt's pod has the name its reserve gave it; a new one, the next attempt's.
    podName: resuming
      ? (record.podName ?? podNameFor(template.name, requestId))
      : podNameFor(template.name, requestId, record.attempts + 1),
    runtime,
    lastAttempt,
    attemptSeconds: ports.attemptSeconds ?? queueLimits.provisionTimeoutSeconds,
    resumed: resuming,
    podCreated: resuming,
    recordPod,
  };
  const started = resuming ? await claimAttempt(attempt, ports) : await reserveSlot(attempt, prepared, ports);
  if (started.kind === 'done') return started.outcome;
  return makeAndRecordAgent(attempt, resuming, ports);
}

/** An attempt that holds its slot: makes the agent (or adopts a previous attempt's) and records it. */
async function makeAndRecordAgent(
  attempt: Attempt,
  resuming: boolean,
  ports: ProvisionPorts,
): Promise<ProvisionOutcome> {
  let recorded: Awaited<ReturnType<typeof recordAgent>>;
  try {
    const resumed = resuming ? await resumeAttempt(attempt, ports) : { kind: 'make' as const };
    const made: MadeAgent =
      resumed.kind === 'adoptable' ? { kind: 'resumed' } : await makeAgent(attempt, ports);
    recorded = await recordAgent(attempt, made, ports);
  } catch (error) {
    // Should its chunk not load, the attempt's own error goes on (SQS delivers the message again).
    const steps = await failure().catch(() => {
      throw error;
    });
    return steps.handleFailure(error, failureKindOf(error), attempt, ports);
  }
  // Outside the failure handling: the request is no longer this attempt's to fail.
  if (recorded.kind === 'moved') return (await endedBuild()).abandonAgent(attempt, ports);
  return recorded.outcome;
}

/** Queued (or queued again) within the reaper's `staleQueuedSeconds`. */
const recentlyQueued = (record: RequestRecord, ports: ProvisionPorts): boolean =>
  (ports.now?.() ?? new Date()).getTime() - Date.parse(record.requeuedAt ?? record.createdAt) <
  ports.config.reaper.staleQueuedSeconds * 1000;
