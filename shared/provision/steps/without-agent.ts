import type { AgentTemplate } from '../../config/file-schema';
import { podNameFor } from '../../requests/identity';
import type { RequestRecord } from '../../requests/record';
import { removeAgentOf } from '../remove-agent-of';
import { fromStatesOf, releaseFromButEnding } from '../../requests/transitions';
import { attemptLog, type ProvisionOutcome, type ProvisionPorts } from '../types';
import { RetryLaterError } from '../errors';
import { messageOf } from '../../message-of';

/** The request waits (at a cap, or while drained) for a wake to enqueue it again. */
export async function markWaiting(
  record: RequestRecord,
  reason: string,
  ports: ProvisionPorts,
): Promise<ProvisionOutcome> {
  const waiting = await ports.requests.transition(record.requestId, fromStatesOf('wait'), 'waiting', {
    reason,
  });
  // Another attempt moved it on meanwhile (its own slot may be what filled the cap): nothing waits,
  // and saying `waiting` would count a wait that did not happen.
  if (!waiting)
    return { kind: 'skipped', reason: `request ${record.requestId} moved on before it could wait` };
  attemptLog(ports, record)('request waiting', { reason });
  return { kind: 'waiting', reason };
}

/**
 * Fails a request before any agent was made for it (its template is gone, or its `from` leaves the
 * build out), giving back a slot it holds.
 */
export async function failWithoutSlot(
  record: RequestRecord,
  reason: string,
  ports: ProvisionPorts,
): Promise<ProvisionOutcome> {
  // Not from `ending`: the CI's end written since the read stands, and its message ends it so.
  if (record.holdsSlot && record.template)
    await ports.capacity.release(record.requestId, record.template, 'failed', reason, {
      from: releaseFromButEnding,
    });
  else
    await ports.requests.transition(record.requestId, fromStatesOf('fail-without-slot'), 'failed', {
      reason,
    });
  return { kind: 'failed', reason };
}

/**
 * Fails a request that may no longer get an agent: its template's `from` or its source's allow-list
 * leaves it out (../kept-origin.ts), or its template is gone from the config (`template` undefined).
 * A resumed one may have made its pod and registered its agent in an earlier attempt: those are
 * removed first, best effort (the reaper deletes a pod left over, as any ended request's), so that
 * no agent runs a build it may not, and none is left registered with nothing pointing at it. Kept
 * out, the agent goes busy or not. With its template gone, only an agent with no pod goes: one whose
 * pod exists may run a build (a runner that took another job, a Jenkins node given one), which the
 * reaper, deciding that pod as an orphan, leaves to finish as it leaves any busy agent.
 */
export async function failLeftOut(
  record: RequestRecord,
  template: AgentTemplate | undefined,
  resuming: boolean,
  reason: string,
  ports: ProvisionPorts,
  lastAttempt = false,
): Promise<ProvisionOutcome> {
  const agentName = record.podName ?? (template && podNameFor(template.name, record.requestId));
  const pod = resuming && agentName && !template ? await podOf(agentName, lastAttempt, ports) : 'absent';
  // Kept out, or no pod: it goes, busy or not. Unknown on the last delivery: the CI is asked, and
  // one it calls busy stays (GitHub's), its pod untouched.
  if (resuming && agentName && pod !== 'exists')
    await removeAgentOf(
      ports,
      record,
      { agentName, labels: template?.labels ?? record.labels, externalId: record.externalId },
      pod === 'unknown' ? {} : { pod: 'try-delete', evenIfBusy: true },
    ).catch(() => undefined);
  ports.logger.warn('request left out: no agent may be made for it', { requestId: record.requestId, reason });
  return failWithoutSlot(record, reason, ports);
}

/**
 * Whether the pod of that name exists. Unknown (the API server failing), the message is delivered
 * again, since removing the agent might cut a build short and leaving it might strand it; on its
 * last delivery it stays unknown.
 */
async function podOf(
  name: string,
  lastAttempt: boolean,
  ports: ProvisionPorts,
): Promise<'exists' | 'absent' | 'unknown'> {
  try {
    return (await ports.agents.findAgent(ports.config.namespace, name)).pod ? 'exists' : 'absent';
  } catch (error) {
    if (lastAttempt) return 'unknown';
    throw new RetryLaterError(`cannot tell whether pod ${name} exists: ${messageOf(error)}`, {
      cause: error,
    });
  }
}
