import { capacityLimits } from '../capacity/limits';
import { wakeWaiting } from '../capacity/wake';
import { isTerminal, type RequestRecord } from '../requests/record';
import { fromStatesOf, fromTheStateRead } from '../requests/transitions';
import { removeAgent, type AgentRemoval } from '../sources/deregister';
import { OpsConflictError, OpsNotFoundError } from './errors';
import type { OpsPorts } from './ports';

async function load(requestId: string, ports: OpsPorts): Promise<RequestRecord> {
  const record = await ports.requests.get(requestId);
  if (!record) throw new OpsNotFoundError(`no request '${requestId}': see \`list\` for the ids`);
  return record;
}

/**
 * ops `cancel`: end a request for good. The record moves first (conditionally, giving its slot back),
 * so a provisioner still working on it cannot record a pod for it; then its pod is deleted and its
 * agent removed at the CI. A pod a provisioner creates after this point is an orphan the reaper
 * deletes after its grace.
 *
 * Not while an attempt is making the request's agent: its slot given back now would go to a waiting
 * build while that attempt goes on to make a runnable agent beside it, past the cap (bug 45). The
 * request is then marked `ending` (to end `cancelled` with `endReason`, keeping its slot): the attempt
 * finds it so and removes its agent, busy or not, as does the message sent here or the reaper's
 * `ended` rule once a dead attempt's time is out.
 */
export async function cancel(
  requestId: string,
  ports: OpsPorts,
): Promise<{
  requestId: string;
  /** `ending`: an attempt is making its agent, and removes it (see above). */
  status: 'cancelled' | 'ending';
  podDeleted?: string;
  /** What became of its agent at the CI, when it had one (`kept`: the CI could not be reached). */
  agent?: AgentRemoval['kind'];
  freedSlot: boolean;
  woken: number;
}> {
  const reason = 'cancelled by an operator';
  for (let attempt = 0; attempt < 3; attempt++) {
    const record = await load(requestId, ports);
    if (isTerminal(record.status))
      throw new OpsConflictError(`request '${requestId}' is already ${record.status}: nothing to cancel`);
    if (record.holdsSlot && (record.attemptUntilMs ?? 0) > ports.now().getTime()) {
      const marked = await ports.requests.transition(
        requestId,
        fromTheStateRead('mark-ending', record.status),
        'ending',
        { endAs: 'cancelled', endReason: reason },
        [],
        { holdsSlot: true },
      );
      if (!marked) continue;
      // As the webhook's mark does: the attempt may have ended since the read, leaving none to finish it.
      await ports.queue.send({ requestId });
      ports.logger.warn('request cancelled by an operator; its attempt in flight removes its agent', {
        requestId,
        jobKey: record.jobKey,
      });
      return { requestId, status: 'ending', freedSlot: false, woken: 0 };
    }
    const slotTemplate = record.holdsSlot ? record.template : undefined;
    const freedSlot = slotTemplate !== undefined;
    const moved = slotTemplate
      ? await ports.capacity.release(requestId, slotTemplate, 'cancelled', reason)
      : (await ports.requests.transition(
          requestId,
          fromStatesOf('cancel-by-operator'),
          'cancelled',
          { reason },
          [],
          { holdsSlot: false },
        )) !== undefined;
    // Someone moved it meanwhile (a provisioner took a slot, the CI ended it): look again.
    if (!moved) continue;
    // Whatever the CI answers, the request stays cancelled, and the answer says what the CI did. The
    // operator stops the agent, busy or not: its slot was given back above. A request that never
    // had an agent has no name to look one up by: the CI is not asked (a GitLab lookup by an empty
    // description would match runners Pitcrew never made).
    const removal = record.podName
      ? await removeAgent(
          { namespace: ports.config.namespace, agents: ports.agents, logger: ports.logger },
          {
            pod: 'delete',
            evenIfBusy: true,
            adapter: ports.sources[record.source]?.adapter,
            agent: {
              requestId,
              agentName: record.podName,
              labels: [],
              details: record.details,
              externalId: record.externalId,
            },
          },
        )
      : undefined;
    // The CI failed for now: provision removes the agent while SQS delivers the request's message
    // (bug 60); the answer says `kept` either way.
    if (removal?.kind === 'kept')
      await ports.queue.send({ requestId }).catch((error: unknown) =>
        ports.logger.warn('could not send the request its message; its agent may stay listed', {
          requestId,
          error: String(error),
        }),
      );
    const runtime = await ports.settings.get();
    const woken =
      freedSlot && !runtime.drained ? await wakeWaiting(ports, capacityLimits(ports.config, runtime), 1) : [];
    ports.logger.warn('request cancelled by an operator', { requestId, jobKey: record.jobKey });
    return {
      requestId,
      status: 'cancelled',
      ...(record.podName ? { podDeleted: record.podName } : {}),
      ...(removal ? { agent: removal.kind } : {}),
      freedSlot,
      woken: woken.length,
    };
  }
  throw new OpsConflictError(`request '${requestId}' kept changing while cancelling it: try again`);
}

/**
 * Puts a failed request back in the queue with its retries reset. Shared by ops `retry` and
 * `redrive` (a message in the dead-letter queue belongs to a request that failed on its last try).
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
    ['expiresAt'],
  );
  return moved !== undefined;
}

/** ops `retry`: a failed request goes back to the queue (its retries start again). */
export async function retry(
  requestId: string,
  ports: OpsPorts,
): Promise<{ requestId: string; status: 'queued'; previousReason?: string }> {
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
  // If this send fails the request stays queued, and the reaper re-sends stale queued requests.
  await ports.queue.send({ requestId });
  ports.logger.info('request retried by an operator', { requestId, jobKey: record.jobKey });
  return { requestId, status: 'queued', ...(record.reason ? { previousReason: record.reason } : {}) };
}
