import type { RequestRecord } from '../../requests/record';
import { removeAgentOf } from '../remove-agent-of';
import { queueLimits } from '../../queue/limits';
import { releaseFromButEnding } from '../../requests/transitions';
import { RetryLaterError } from '../errors';
import type { FailureKind } from '../failure-kind';
import { finishRequest } from '../finish-request';
import { attemptLog, type Attempt, type ProvisionOutcome, type ProvisionPorts } from '../types';
import { messageOf } from '../../message-of';

/**
 * How long the CI asked to be left alone, when SQS would deliver the message again sooner (its
 * visibility timeout): GitHub's hourly rate limit spent, a Retry-After of minutes. Such a build
 * waits on a message of its own, held back at most ten minutes at a time and a minute under the
 * reaper's `staleQueuedSeconds` (which would send another), rather than spend its deliveries and
 * fail into the dead-letter queue before the CI would take it. A `staleQueuedSeconds` that leaves
 * no more than SQS's wait leaves the retries to SQS.
 */
function longWaitOf(kind: FailureKind, staleQueuedSeconds: number): number | undefined {
  const wait = Math.min(kind.retryAfterSeconds ?? 0, 600, staleQueuedSeconds - 60);
  // No shorter than SQS would wait anyway: a held-back message starts its deliveries afresh, and one
  // sent every few seconds would ask the CI as often, for ever.
  return wait > queueLimits.queueVisibilityTimeoutSeconds ? wait : undefined;
}

/**
 * An attempt failed while making or recording its agent. A transient failure throws `RetryLaterError`
 * so SQS delivers the message again (or, when the CI asks for longer than that, waits on a held-back
 * message of its own: `longWaitOf`): the slot is given back first unless the pod exists (the next
 * attempt adopts it), and the agent the CI may have registered is removed there. A permanent one, or
 * a transient one on the last delivery, removes what the attempt made (best effort) and fails the
 * request; the latter still throws, so SQS moves the message to the dead-letter queue, where an
 * operator can redrive it; the record already says why. A build the CI ended meanwhile is ended as
 * the CI said, either way.
 */
export async function handleFailure(
  error: unknown,
  kind: FailureKind,
  attempt: Attempt,
  ports: ProvisionPorts,
): Promise<ProvisionOutcome> {
  const { record, template, podName } = attempt;
  const { retryable } = kind;
  const reason = messageOf(error);
  const agent = { agentName: podName, labels: template.labels, externalId: attempt.externalId };
  // The CI ended the build while this attempt ran (no requeue takes an `ending` request): end it as
  // the CI said, now. Failed, it would be a build that ops `retry` and `redrive` queue again (bug 40);
  // left, its slot would wait out this attempt's time (bug 39). Only while the request is this
  // attempt's (its pod's name): a later attempt's is that attempt's to finish.
  const finishIfEnded = async (now: RequestRecord | undefined): Promise<ProvisionOutcome | undefined> => {
    if (now?.status !== 'ending' || now.podName !== podName) return undefined;
    await ports.requests.endAttempt(record.requestId);
    return finishRequest(
      { ...now, externalId: attempt.externalId ?? now.externalId },
      attempt.runtime,
      ports,
    );
  };
  const wait = longWaitOf(kind, ports.config.reaper.staleQueuedSeconds);
  // A long wait holds no slot and goes on a message of its own, the last delivery's too.
  if (retryable && (!attempt.lastAttempt || (wait !== undefined && !attempt.podCreated))) {
    // Keep the slot when the pod exists: the next attempt adopts it, and the cap stays true; it need
    // not wait for this attempt, which ends here.
    // A reserve this delivery made is taken back (`undoAttempt`): its agent ran nothing, so the
    // next one has its pod name again and adopts a pod the API server made after the client gave
    // up (bug 57). A resumed one's earlier agent may have run: the next reserve names a new one.
    if (
      !attempt.podCreated &&
      (await ports.capacity.release(record.requestId, template.name, 'queued', `retrying: ${reason}`, {
        // Only the slot this attempt's reserve took: another attempt's, given the request since (the
        // reaper's lost rule), is that attempt's to give back.
        from: ['provisioning', 'started'],
        podName: attempt.podName,
        undoAttempt: !attempt.resumed,
      }))
    ) {
      // The CI may have registered the agent before the failure (a node, a JIT runner): should the
      // build then wait at a cap and end, nothing would point at it (bug 41). Best effort: the next
      // delivery replaces an agent of that name anyway, but a resumed attempt's next agent has a name
      // of its own, so one its CI keeps gets a message of its own (bug 71).
      await removeOrHandOver(ports, record, agent, attempt.resumed);
      if (wait !== undefined) {
        await ports.queue.send({ requestId: record.requestId }, { delaySeconds: wait }).catch((sendError) => {
          throw new RetryLaterError(reason, { cause: sendError });
        });
        attemptLog(ports, record, 'warn')('the CI asks to wait; trying again then', { reason, wait });
        return { kind: 'deferred', reason: `${reason}; trying again in ${wait} s` };
      }
    } else {
      const now = await ports.requests.get(record.requestId);
      // Taken over by a later attempt (the reaper's lost rule gave the build another agent): nothing
      // points at this one's agent, of a name of its own (bug 57), so it goes here; a pod it made is
      // an orphan the reaper removes. The attempt's claim is the later one's now, and stays.
      const ours = now?.podName === podName;
      if (!ours && !attempt.podCreated) await removeOrHandOver(ports, record, agent, true);
      const finished = await finishIfEnded(now);
      if (finished) return finished;
      if (ours) await ports.requests.endAttempt(record.requestId);
    }
    attemptLog(ports, record, 'warn')('provision failed; SQS will retry', { reason });
    throw new RetryLaterError(reason, { cause: error });
  }
  const finished = await finishIfEnded(await ports.requests.get(record.requestId));
  if (finished) return finished;
  const why = retryable
    ? `gave up after the last delivery (the message goes to the dead-letter queue): ${reason}`
    : reason;
  // Best effort: whatever the CI answers, the request fails.
  await removeAgentOf(ports, record, agent, { pod: attempt.podCreated ? 'try-delete' : undefined });
  // Only this attempt's reserve: a later attempt's request is that attempt's to end. On the last
  // delivery, a reserve of this delivery whose agent ran nothing is taken back, as above: should the
  // removal have failed, the agent an operator's retry or redrive makes has its name and replaces
  // it (bug 60). Not for a permanent failure: a retry meets what failed it under a new name (a pod
  // not Pitcrew's holding this one).
  // Not from `ending`: the CI's end written since the read above stands, and ends it as it said.
  const released = await ports.capacity.release(record.requestId, template.name, 'failed', why, {
    podName,
    undoAttempt: retryable && !attempt.resumed && !attempt.podCreated,
    from: releaseFromButEnding,
  });
  if (!released) {
    const ended = await finishIfEnded(await ports.requests.get(record.requestId));
    if (ended) return ended;
  }
  attemptLog(ports, record, 'error')('provision failed for good', { reason: why });
  if (retryable) throw new RetryLaterError(why, { cause: error });
  return { kind: 'failed', reason: why };
}

/**
 * Removes a failed attempt's agent at its CI, best effort. With `named`, its name is one no later
 * agent of the request takes (bug 57), so one the CI keeps would be pointed at by nothing: it gets a
 * message naming it (`removeLeftAgent`), which SQS delivers again while the CI fails (bug 71).
 */
async function removeOrHandOver(
  ports: ProvisionPorts,
  record: RequestRecord,
  agent: { agentName: string; labels: readonly string[]; externalId?: string },
  named: boolean,
): Promise<void> {
  const removal = await removeAgentOf(ports, record, agent);
  if (!named || removal.kind !== 'kept') return;
  await ports.queue.send({ requestId: record.requestId, agent: agent.agentName }).catch((error: unknown) =>
    attemptLog(
      ports,
      record,
      'warn',
    )('could not send the message that removes the agent; it may stay listed', {
      agent: agent.agentName,
      error: messageOf(error),
    }),
  );
}
