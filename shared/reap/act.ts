import type { AgentTemplate } from '../config/file-schema';
import type { AgentClient } from '../cluster/agents';
import type { LoggerPort } from '../ports/logger';
import type { ProvisionQueue } from '../ports/provision-queue';
import type { RequestRecord, RequestStatus } from '../requests/record';
import { fromStatesOf, fromTheStateRead, releaseFromButEnding } from '../requests/transitions';
import { ciForgot, leftAtUnconfiguredCi, removeAgent } from '../sources/deregister';
import { CiError } from '../sources/errors';
import { ciModuleOf } from '../sources/registry';
import type { SourceDetails } from '../sources/types';
import type { CapacityStore } from '../state/capacity-store';
import type { RequestStore } from '../state/request-store';
import type { SourceRegistry } from '../sources/types';
import type { BuildOutcome } from './decide';
import type { PodView } from './pod-view';
import { pitcrewLabels } from '../templates/labels';

export interface ActPorts {
  readonly namespace: string;
  readonly sources: SourceRegistry;
  readonly requests: Pick<RequestStore, 'get' | 'transition'>;
  readonly capacity: Pick<CapacityStore, 'release'>;
  readonly agents: Pick<AgentClient, 'deletePod' | 'listPods'>;
  readonly queue: Pick<ProvisionQueue, 'send'>;
  readonly logger: LoggerPort;
}

/**
 * Details to deregister with; when the request is gone, those its module makes from the agent's name
 * alone (Jenkins needs only that), if it can.
 */
const detailsFor = (pod: PodView, record: RequestRecord | undefined): SourceDetails | undefined =>
  record?.details ??
  (pod.source === undefined ? undefined : ciModuleOf(pod.source).deregistrationDetails?.(pod.name));

/**
 * Removes the agent at its CI. `record` is the pod's active request; a pod whose build ended has none
 * in the reaper's list, so its request is read here: a GitHub runner can only be found with the
 * repository it is registered on. False when the CI failed for now (see deregisteredOrRefused);
 * `busy` when the CI says the agent runs a job it took, whose pod is then left to finish it; `gone`,
 * nothing asked, when the pod as listed is gone.
 */
export async function deregister(
  ports: ActPorts,
  pod: PodView,
  active: RequestRecord | undefined,
  template: AgentTemplate | undefined,
  evenIfBusy?: boolean,
): Promise<boolean | 'busy' | 'gone'> {
  // Most CIs find an agent by its name, its pod's, which an attempt resumed gives its pod again:
  // once the listed pod is gone, that attempt's agent may hold the name (bug 38). A new pod needs
  // the old one gone first, so one still there, even terminating, means the agent is its.
  if (
    pod.requestId &&
    !(await ports.agents.listPods(ports.namespace, `${pitcrewLabels.requestId}=${pod.requestId}`)).some(
      (listed) => listed.metadata?.uid === pod.uid,
    )
  )
    return 'gone';
  const record =
    active ?? (pod.requestId ? await ports.requests.get(pod.requestId).catch(() => undefined) : undefined);
  const details = detailsFor(pod, record);
  const adapter = pod.source ? ports.sources[pod.source]?.adapter : undefined;
  if (!adapter && pod.source) leftAtUnconfiguredCi(ports.logger, pod.name, pod.source);
  if (!adapter || !details) return true;
  const removal = await removeAgent(ports, {
    adapter,
    evenIfBusy,
    agent: {
      requestId: record?.requestId ?? pod.requestId ?? '',
      agentName: pod.name,
      labels: template?.labels ?? [],
      details,
      // The request's agent id names its current agent: an earlier one's pod goes by its name alone.
      externalId: record?.podName === pod.name ? record.externalId : undefined,
    },
  });
  return removal.kind === 'busy' ? 'busy' : ciForgot(removal);
}

/**
 * Removes the agent of a request whose pod is gone at its CI: a build that ended or failed needs
 * none, and a new attempt makes a new one. False when the CI failed for now.
 */
export async function deregisterLost(
  ports: ActPorts,
  record: RequestRecord,
  template: AgentTemplate | undefined,
): Promise<boolean> {
  const adapter = ports.sources[record.source]?.adapter;
  if (!adapter && record.podName) leftAtUnconfiguredCi(ports.logger, record.podName, record.source);
  if (!adapter || !record.podName) return true;
  // Its pod is gone: the agent runs nothing, whatever the CI says until it notices.
  const removal = await removeAgent(ports, {
    adapter,
    evenIfBusy: true,
    agent: {
      requestId: record.requestId,
      agentName: record.podName,
      labels: template?.labels ?? [],
      details: record.details,
      externalId: record.externalId,
    },
  });
  return ciForgot(removal);
}

/**
 * Whether the CI still waits to run the build of an agent that finished before the CI said the build
 * started on it (that agent ran another job: a runner takes any its labels fit). False for a CI that
 * cannot be asked, or that refuses for good (logged). Undefined while the CI cannot say: the finished
 * pod, which runs nothing, and its request stay for the next run to ask again.
 */
export async function buildWaits(
  ports: ActPorts,
  pod: PodView,
  record: RequestRecord,
): Promise<boolean | undefined> {
  const adapter = ports.sources[record.source]?.adapter;
  if (!adapter?.buildWaits) return false;
  try {
    return await adapter.buildWaits({ ...record, agentName: pod.name, labels: [] });
  } catch (error) {
    const retryable = !(error instanceof CiError) || error.retryable;
    ports.logger.warn('could not read whether the CI still waits for the build', {
      requestId: record.requestId,
      error: String(error),
      then: retryable ? 'the next reaper run asks again' : 'taken for started',
    });
    return retryable ? undefined : false;
  }
}

/**
 * A request whose running pod the reaper deleted while its CI kept the agent (down for now), as
 * decided to end: marked `ending` with the outcome and its reason, slot held, so that the next run
 * (which finds no pod) removes the agent and then ends the build so, rather than taking the pod for
 * lost and giving the build another agent (bug 77). Conditional on the state read: a CI's end or an
 * operator's cancel written meanwhile stands.
 */
export async function markEnding(
  ports: ActPorts,
  record: RequestRecord,
  endAs: 'completed' | 'failed',
  reason: string,
): Promise<void> {
  const from = fromTheStateRead('mark-ending', record.status);
  if (from.length === 0 || record.status === 'ending') return;
  await ports.requests.transition(
    record.requestId,
    from,
    'ending',
    { endAs, endReason: reason },
    [],
    // Only a slot holder has something to finish (bug 47); one holding none is left to the lost rule.
    { holdsSlot: true },
  );
}

/**
 * Ends a request the way the reaper decided: `completed`/`failed` give the slot back and end it,
 * `retry` gives the slot back and enqueues the build again (one of its retries), `requeue` the same
 * without using one. Every step is conditional, so a second
 * run (or a webhook) that got there first makes this a no-op.
 */
export async function settle(
  ports: ActPorts,
  record: RequestRecord | undefined,
  outcome: BuildOutcome,
  reason: string,
  asRead?: boolean,
): Promise<'retried' | 'ended' | 'none'> {
  if (!record || outcome === 'none') return 'none';
  const again = outcome === 'retry' || outcome === 'requeue';
  const to: RequestStatus = again ? 'queued' : (outcome as RequestStatus);
  const countRetry = outcome === 'retry';
  const move = again ? 'retry' : 'settle';
  // Read holding no slot, it must still hold none: one a provision attempt reserved meanwhile, moved
  // here, would keep `holdsSlot` in a state that never gives it back (its attempt settles it instead).
  // `asRead`: only from the state read (a start written meanwhile stands). Read before the CI or an
  // operator marked it `ending`, it ends as they said, by its own finish (bug 70): `failed` here
  // would be a build that `retry` queues again.
  const from = asRead ? [record.status] : record.status === 'ending' ? undefined : releaseFromButEnding;
  const moved =
    record.holdsSlot && record.template
      ? await ports.capacity.release(record.requestId, record.template, to, reason, {
          countRetry,
          ...(from ? { from } : {}),
          // Ended as the mark read said: one made since (an operator's cancel over the reaper's
          // mark) is the next run's to end.
          ...(record.status === 'ending' ? { statusSince: record.statusSince } : {}),
        })
      : (await ports.requests.transition(
          record.requestId,
          asRead ? fromTheStateRead(move, record.status) : fromStatesOf(move),
          to,
          { reason, ...(countRetry ? { retriesUsed: record.retriesUsed + 1 } : {}) },
          [],
          { holdsSlot: false },
        )) !== undefined;
  if (!moved) return 'none';
  if (again) {
    await ports.queue.send({ requestId: record.requestId });
    return 'retried';
  }
  return 'ended';
}

/**
 * Fails a request that waited too long for an agent, or whose template is gone. It is queued or
 * waiting, so it holds no slot and there is nothing to give back; the write is conditional on the
 * state the reaper read, so a request a provision attempt, a wake or the CI moved meanwhile is left
 * as they made it. An agent an earlier attempt registered at the CI (a request taken back to waiting
 * under a lowered cap) is removed, best effort. True when this run failed it.
 */
export async function expire(
  ports: ActPorts,
  record: RequestRecord,
  template: AgentTemplate | undefined,
  reason: string,
): Promise<boolean> {
  const failed = await ports.requests.transition(
    record.requestId,
    fromTheStateRead('expire', record.status),
    'failed',
    { reason },
    [],
    { holdsSlot: false },
  );
  if (!failed) return false;
  await removeLeftAgent(ports, record, template);
  return true;
}

/**
 * Removes the agent of a request the reaper just ended, which no pod runs. Should the CI fail for
 * now, the request's message goes to provision, which tries again while SQS delivers it
 * (removeUnusedAgent): ended, the request is read by no later run (bug 60).
 */
export async function removeLeftAgent(
  ports: ActPorts,
  record: RequestRecord,
  template: AgentTemplate | undefined,
): Promise<void> {
  if (!(await deregisterLost(ports, record, template)))
    await ports.queue.send({ requestId: record.requestId });
}

/**
 * Deletes a Jenkins agent only if it is idle (with `onlyRetired`, only once it ran a build and is out
 * of rotation), reading its state right before acting; a busy agent, or one whose state cannot be
 * read, is left for the next run.
 */
export async function isSafeToDelete(ports: ActPorts, pod: PodView, onlyRetired?: boolean): Promise<boolean> {
  const source = pod.source ? ports.sources[pod.source] : undefined;
  // Its CI is no longer configured, so whether a running agent runs a build cannot be known: it is
  // left, and the lifetime it was made with (activeDeadlineSeconds) ends it, after which it goes as
  // finished. One whose agent container does not run (no node took it, its image will not pull) runs
  // nothing, whatever the pod's phase says (a sidecar still starting keeps a pod Pending).
  if (pod.source && !source) return !pod.agentRunning;
  const adapter = source?.adapter;
  if (!adapter?.isAgentBusy) return true;
  try {
    return !(await adapter.isAgentBusy(pod.name, onlyRetired));
  } catch (error) {
    ports.logger.warn('could not read whether the agent is busy; leaving it', {
      podName: pod.name,
      error: String(error),
    });
    return false;
  }
}
