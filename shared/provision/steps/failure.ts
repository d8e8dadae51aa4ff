import { ClusterError } from '../../cluster/errors';
import { ciForgot } from '../../sources/deregister';
import { removeAgentOf } from '../remove-agent-of';
import { CiError } from '../../sources/errors';
import { StateUnavailableError } from '../../state/errors';
import { RetryLaterError } from '../errors';
import { finishRequest } from '../finish-request';
import type { Attempt, ProvisionOutcome, ProvisionPorts } from '../types';

/**
 * An attempt failed while making or recording its agent. A transient failure throws `RetryLaterError`
 * so SQS delivers the message again: the slot is given back first unless the pod exists (the next
 * attempt adopts it). A permanent one, or a transient one on the last delivery, removes what the
 * attempt made (best effort) and fails the request; the latter still throws, so SQS moves the message
 * to the dead-letter queue, where an operator can redrive it; the record already says why.
 */
export async function handleFailure(
  error: unknown,
  attempt: Attempt,
  ports: ProvisionPorts,
): Promise<ProvisionOutcome> {
  const { record, template, podName } = attempt;
  // Anything else (a ForeignPodError, a bug) is permanent.
  const retryable =
    error instanceof CiError || error instanceof ClusterError
      ? error.retryable
      : error instanceof StateUnavailableError;
  const reason = error instanceof Error ? error.message : String(error);
  const agent = { agentName: podName, labels: template.labels, externalId: attempt.externalId };
  if (retryable && !attempt.lastAttempt) {
    // Keep the slot when the pod exists: the next attempt adopts it, and the cap stays true; it need
    // not wait for this attempt, which ends here. Without a pod, the CI may have registered the agent
    // before the failure (a node, a JIT runner): forget it there, or, when the CI cannot, keep the
    // slot too, so the next delivery takes that agent up again rather than leave it with nothing
    // pointing at it should the build then wait and end (bug 41).
    if (attempt.podCreated || !ciForgot(await removeAgentOf(ports, record, agent)))
      await ports.requests.endAttempt(record.requestId);
    else await ports.capacity.release(record.requestId, template.name, 'queued', `retrying: ${reason}`);
    ports.logger.warn('provision failed; SQS will retry', {
      requestId: record.requestId,
      jobKey: record.jobKey,
      reason,
    });
    throw new RetryLaterError(reason, { cause: error });
  }
  // The CI ended the build while this attempt ran: end it as the CI said. Failed, it would be a
  // build that ops `retry` and `redrive` queue again, though its CI is done with it (bug 40).
  const now = await ports.requests.get(record.requestId);
  if (now?.status === 'ending')
    return finishRequest(
      { ...now, externalId: attempt.externalId ?? now.externalId },
      attempt.runtime,
      ports,
    );
  const why = retryable
    ? `gave up after the last delivery (the message goes to the dead-letter queue): ${reason}`
    : reason;
  // Best effort: whatever the CI answers, the request fails.
  await removeAgentOf(ports, record, agent, { pod: attempt.podCreated ? 'try-delete' : undefined });
  await ports.capacity.release(record.requestId, template.name, 'failed', why);
  ports.logger.error('provision failed for good', {
    requestId: record.requestId,
    jobKey: record.jobKey,
    reason: why,
  });
  if (retryable) throw new RetryLaterError(why, { cause: error });
  return { kind: 'failed', reason: why };
}
