import { capacityLimits } from '../capacity/limits';
import { wakeWaiting } from '../capacity/wake';
import { endingAsReaperDecided, isTerminal, type RequestRecord } from '../requests/record';
import { fromStatesOf, fromTheStateRead } from '../requests/transitions';
import { requireAdaptersOf } from '../sources/built-adapters';
import { removeAgent, type AgentRemoval } from '../sources/deregister';
import { pitcrewLabels } from '../templates/labels';
import { OpsConflictError, OpsNotFoundError } from './errors';
import type { OpsPorts } from './ports';

async function load(requestId: string, ports: OpsPorts): Promise<RequestRecord> {
  const record = await ports.requests.get(requestId);
  if (!record) throw new OpsNotFoundError(`no request '${requestId}': see \`list\` for the ids`);
  return record;
}

/**
 * ops `cancel`: end a request for good, busy or not.
 *
 * A request that holds a slot is first marked `ending` (to end `cancelled` with `endReason`), keeping
 * its slot, so that no provisioner records a pod for it and none takes over its attempt; then its
 * agent is removed (at the CI, then its pod), and only then is the slot given back, from `ending` and
 * while the request still names that agent, as provision's `finishRequest` does: a slot freed before
 * the agent is gone goes to a waiting build whose pod runs beside it, past the cap (bug 64).
 *
 * Not while an attempt is making the request's agent: the mark is then all (bug 45), and the attempt
 * finds it so and removes its agent, as does the message sent here or the reaper's `ended` rule once a
 * dead attempt's time is out. The mark is conditional on no attempt holding the request when none did
 * in the read: one that claimed it since makes the mark miss, and the request is read again (bug 63).
 * A CI that fails for now leaves the request `ending` with its slot, its message sent: provision
 * tries once more, then the reaper's `ended` rule at each run, until the agent goes, then the slot.
 * A release that misses reads again (afterMissedRelease).
 */
export async function cancel(
  requestId: string,
  ports: OpsPorts,
): Promise<{
  requestId: string;
  /** `ending`: its agent is still being made, or its CI could not be reached (see above). */
  status: 'cancelled' | 'ending';
  podDeleted?: string;
  /** What became of its agent at the CI, when it had one (`kept`: the CI could not be reached). */
  agent?: AgentRemoval['kind'];
  freedSlot: boolean;
  woken: number;
}> {
  requireAdaptersOf(ports.config.templates, ports.sources, 'nothing cancelled');
  const reason = 'cancelled by an operator';
  for (let attempt = 0; attempt < 3; attempt++) {
    const record = await load(requestId, ports);
    if (isTerminal(record.status))
      throw new OpsConflictError(`request '${requestId}' is already ${record.status}: nothing to cancel`);
    const answer = record.holdsSlot
      ? await cancelHolding(record, reason, ports)
      : await cancelWaiting(record, reason, ports);
    // Someone moved it meanwhile (a provisioner took a slot or an attempt, the CI ended it): look again.
    if (!answer) continue;
    ports.logger.warn(
      answer.status === 'ending'
        ? 'request cancelled by an operator; its agent goes, then its slot'
        : 'request cancelled by an operator',
      { requestId, jobKey: record.jobKey, agent: answer.agent },
    );
    return { requestId, ...answer };
  }
  throw new OpsConflictError(`request '${requestId}' kept changing while cancelling it: try again`);
}

type CancelAnswer = Omit<Awaited<ReturnType<typeof cancel>>, 'requestId'>;

/** A request with no slot: cancelled in one write, its agent (one a failed attempt left) removed after. */
async function cancelWaiting(
  record: RequestRecord,
  reason: string,
  ports: OpsPorts,
): Promise<CancelAnswer | undefined> {
  const moved = await ports.requests.transition(
    record.requestId,
    fromStatesOf('cancel-by-operator'),
    'cancelled',
    { reason },
    [],
    { holdsSlot: false },
  );
  if (!moved) return undefined;
  const removal = await removeAgentOfCancelled(record, ports);
  return { status: 'cancelled', ...removal, freedSlot: false, woken: 0 };
}

/** A request with a slot: marked `ending`, its agent removed, then its slot given back (see cancel). */
async function cancelHolding(
  record: RequestRecord,
  reason: string,
  ports: OpsPorts,
): Promise<CancelAnswer | undefined> {
  const { requestId } = record;
  const nowMs = ports.now().getTime();
  const attemptInFlight = (record.attemptUntilMs ?? 0) > nowMs;
  // Marked `ending` by the CI, it ends as the CI said; by the reaper (bug 77), as the operator says.
  if (record.status !== 'ending' || endingAsReaperDecided(record)) {
    const marked = await ports.requests.transition(
      requestId,
      fromTheStateRead('mark-ending', record.status),
      'ending',
      { endAs: 'cancelled', endReason: reason },
      [],
      { holdsSlot: true, ...(attemptInFlight ? {} : { noAttemptAt: nowMs }) },
    );
    if (!marked) return undefined;
  }
  // The attempt finishes it; as the webhook's mark does, the message finishes it should the attempt
  // have ended since the read.
  if (attemptInFlight) {
    await ports.queue.send({ requestId });
    return { status: 'ending', freedSlot: false, woken: 0 };
  }
  const removal = await removeAgentOfCancelled(record, ports);
  if (removal.agent === 'kept') return { status: 'ending', ...removal, freedSlot: false, woken: 0 };
  const freedSlot =
    record.template !== undefined &&
    (await ports.capacity.release(requestId, record.template, 'cancelled', reason, {
      from: ['ending'],
      ...(record.podName ? { podName: record.podName } : {}),
    }));
  if (!freedSlot) return afterMissedRelease(requestId, removal, ports);
  const runtime = await ports.settings.get();
  const woken = runtime.drained ? [] : await wakeWaiting(ports, capacityLimits(ports.config, runtime), 1);
  return { status: 'cancelled', ...removal, freedSlot, woken: woken.length };
}

/**
 * The cancel's release missed: provision's message or the reaper finished the request first (whose
 * wake it was), or it names another agent now (one made since the read: read again and remove it).
 */
async function afterMissedRelease(
  requestId: string,
  removal: { podDeleted?: string; agent?: AgentRemoval['kind'] },
  ports: OpsPorts,
): Promise<CancelAnswer | undefined> {
  const now = await load(requestId, ports);
  if (!isTerminal(now.status)) return undefined;
  if (now.status === 'cancelled') return { status: 'cancelled', ...removal, freedSlot: false, woken: 0 };
  throw new OpsConflictError(
    `request '${requestId}' ended ${now.status} while cancelling it (as its CI said); its agent is removed`,
  );
}

/**
 * Removes a cancelled request's agent, busy or not, at its CI and then its pod. A request that never
 * had an agent has no name to look one up by: the CI is not asked (a GitLab lookup by an empty
 * description would match runners Pitcrew never made). Should the CI fail for now, the request's
 * message goes to provision, which tries again while SQS delivers it (bug 60): `ending`, it finishes
 * the request too.
 */
async function removeAgentOfCancelled(
  record: RequestRecord,
  ports: OpsPorts,
): Promise<{ podDeleted?: string; agent?: AgentRemoval['kind'] }> {
  if (!record.podName) return {};
  // Whether there is a pod to name in the answer: the delete takes a 404 as done and cannot say (a
  // pod the reaper deleted first, still terminating or gone, or one an attempt never made). One list
  // by the request's label, which the ops role may make (findAgent would also try a Secret create,
  // which it may not). Unread, it is named, as before.
  const { podName } = record;
  const podThere = await ports.agents
    .listPods(ports.config.namespace, `${pitcrewLabels.requestId}=${record.requestId}`)
    .then(
      (pods) => pods.some((pod) => pod.metadata?.name === podName && !pod.metadata.deletionTimestamp),
      () => true,
    );
  const removal = await removeAgent(
    { namespace: ports.config.namespace, agents: ports.agents, logger: ports.logger },
    {
      pod: 'delete',
      evenIfBusy: true,
      adapter: ports.sources[record.source]?.adapter,
      agent: {
        requestId: record.requestId,
        agentName: record.podName,
        labels: [],
        details: record.details,
        externalId: record.externalId,
      },
    },
  );
  if (removal.kind === 'kept')
    await ports.queue.send({ requestId: record.requestId }).catch((error: unknown) =>
      ports.logger.warn('could not send the request its message; its agent may stay listed', {
        requestId: record.requestId,
        error: String(error),
      }),
    );
  return { ...(podThere ? { podDeleted: record.podName } : {}), agent: removal.kind };
}

/**
 * Puts a failed request back in the queue with its retries reset, unless the CI has ended its build.
 * Shared by ops `retry` and `redrive` (a message in the dead-letter queue belongs to a request that
 * failed on its last try). False when it was not `failed`, or the CI ended the build, at the write.
 */
export async function requeueFailed(
  record: RequestRecord,
  reason: string,
  ports: OpsPorts,
): Promise<boolean> {
  const moved = await ports.requests.transition(
    record.requestId,
    fromStatesOf('retry-by-operator'),
    'queued',
    { reason, retriesUsed: 0, requeuedAt: ports.now().toISOString() },
    // The reaper's word on how it ended (bug 77) is spent: the CI's on the new run must count.
    ['expiresAt', 'endAs', 'endReason'],
    // The CI may end the build between the caller's read and this write (bug 65): such a build
    // wants no agent, and no end event will come again to remove one.
    { ciNotEnded: true },
  );
  return moved !== undefined;
}

/**
 * ops `retry`: a failed request goes back to the queue (its retries start again). Once it is queued
 * the answer says so, even if its message cannot be sent: the reaper's stale rule sends it then
 * (`messageSent: false`), and a retry of the retry would be refused, the request no longer failed.
 */
export async function retry(
  requestId: string,
  ports: OpsPorts,
): Promise<{ requestId: string; status: 'queued'; messageSent: boolean; previousReason?: string }> {
  const record = await load(requestId, ports);
  if (record.status === 'failed' && record.ciEnded)
    throw new OpsConflictError(
      `request '${requestId}' failed, and the CI has since ${record.ciEnded} its build: queue the build again from the CI`,
    );
  if (record.status !== 'failed') {
    throw new OpsConflictError(
      record.status === 'cancelled' || record.status === 'completed'
        ? `request '${requestId}' is ${record.status}, not failed: queue the build again from the CI`
        : `request '${requestId}' is ${record.status}, not failed: it is still being worked on`,
    );
  }
  if (!(await requeueFailed(record, 'retried by an operator', ports)))
    throw new OpsConflictError(`request '${requestId}' changed while retrying it: look again with describe`);
  const messageSent = await ports.queue.send({ requestId }).then(
    () => true,
    (error: unknown) => {
      ports.logger.warn(
        "request retried, but its message could not be sent: the reaper's stale rule sends it",
        {
          requestId,
          error: String(error),
        },
      );
      return false;
    },
  );
  ports.logger.info('request retried by an operator', { requestId, jobKey: record.jobKey });
  return {
    requestId,
    status: 'queued',
    messageSent,
    ...(record.reason ? { previousReason: record.reason } : {}),
  };
}
