import { podNameFor } from '../../requests/identity';
import type { RequestRecord } from '../../requests/record';
import { removeAgentOf } from '../remove-agent-of';
import type { OperatorSettings } from '../../state/settings-store';
import { systemClock } from '../../ports/clock';
import { RetryLaterError } from '../errors';
import { finishRequest } from '../finish-request';
import { attemptLog, type Attempt, type ProvisionOutcome, type ProvisionPorts } from '../types';
import { messageOf } from '../../message-of';

/**
 * An ended build's message: a failure is retried by SQS, but on the last delivery the message is let
 * go rather than sent to the dead-letter queue, where its request would not say why: the request stays
 * `ending`, and the reaper's `ended` rule finishes it (reaper.md).
 */
export async function finishOrLeaveToReaper(
  record: RequestRecord,
  runtime: OperatorSettings,
  ports: ProvisionPorts,
  lastAttempt: boolean,
): Promise<ProvisionOutcome> {
  // An attempt still making the agent finishes the build itself once it has (abandonAgent). Its
  // slot given back now could go to a waiting build while the agent it makes runs beside that
  // one's, past the cap (bug 39). A dead attempt's time runs out; this message finishes it then.
  if ((record.attemptUntilMs ?? 0) > (ports.now ?? systemClock)().getTime()) {
    const reason = 'an attempt is making its agent, and finishes the build';
    if (lastAttempt) return { kind: 'skipped', reason };
    throw new RetryLaterError(reason);
  }
  try {
    return await finishRequest(record, runtime, ports);
  } catch (error) {
    if (!lastAttempt) throw error;
    const reason = messageOf(error);
    attemptLog(ports, record, 'warn')('could not finish the ended build; the reaper finishes it', { reason });
    return { kind: 'skipped', reason: `left to the reaper: ${reason}` };
  }
}

/**
 * The request left `provisioning` while its agent was being made: the CI ended the build (or an
 * operator cancelled it), or its slot was given up (a lowered cap, another attempt). An ended build
 * will never use the agent, and a request that holds no slot may not have one running (bug 33), so
 * it goes now rather than running outside the caps until the reaper finds it; when another attempt
 * holds the slot again, that attempt owns the agent (it adopts a pod of its name; one of an earlier
 * name is the reaper's, an orphan: bug 57). A failure to remove the agent throws (SQS delivers the
 * message again).
 */
export async function abandonAgent(attempt: Attempt, ports: ProvisionPorts): Promise<ProvisionOutcome> {
  const { record, template, podName, runtime } = attempt;
  const now = await ports.requests.get(record.requestId);
  // The CI ended the build while this attempt made its agent: finish it here and now (remove the
  // agent, give the slot back) rather than leave it for the message the webhook sent.
  if (now?.status === 'ending') {
    const finished = await finishRequest(now, runtime, ports);
    return finished.kind === 'ended'
      ? { kind: 'skipped', reason: `the build was ${finished.status} while its agent was being made` }
      : finished;
  }
  // Ended, or holding no slot (given up to a lowered cap, or started on another agent): nothing
  // may run this agent. Holding a slot again, the request is another attempt's (see above);
  // or, moved on with its slot (the CI started the build before this attempt recorded its pod),
  // this attempt's, which ends here: an ended build's message must not wait out its time.
  if (!now || now.holdsSlot) {
    if (now && now.status !== 'provisioning') await ports.requests.endAttempt(now.requestId);
    return { kind: 'skipped', reason: `another attempt moved the request to ${now?.status ?? 'nowhere'}` };
  }
  const why = `the build was ${now.status}`;
  const removal = await removeAgentOf(
    ports,
    now,
    {
      agentName: podName,
      labels: template.labels,
      // The agent this attempt registered: the record names it only once recorded, which it never was.
      externalId: attempt.externalId ?? now.externalId,
    },
    { pod: 'delete' },
  );
  if (removal.kind === 'busy')
    return { kind: 'skipped', reason: `${why}; its agent took another job, left to finish it` };
  if (removal.kind !== 'forgotten') throw removal.error;
  ports.logger.info('abandoned agent removed', {
    requestId: record.requestId,
    podName,
    status: now.status,
  });
  return { kind: 'skipped', reason: `${why} while its agent was being made` };
}

/**
 * A message for an ended request that names an agent (an attempt may have registered it at the CI
 * before it died, or failed and could not remove it: bug 60): if no pod runs that agent, nothing ever
 * will, so it is deregistered, as it is when its pod is being deleted (the reaper no longer acts on
 * it, and its build ended). A pod that runs is the reaper's: it deregisters the agent when it deletes
 * the pod (after checking that a Jenkins agent is idle). A request that ended by way of `ending`
 * (`endAs`) had its agent removed first. A failure throws `RetryLaterError`, so SQS delivers the
 * message again (nothing else points at the agent once its request ended); on the last delivery it
 * is logged and let go. A CI that refuses for good, or calls the agent busy, is let go at once
 * (logged by removeAgentOf).
 */
export async function removeUnusedAgent(
  record: RequestRecord,
  ports: ProvisionPorts,
  lastAttempt: boolean,
  agentName = record.podName,
): Promise<void> {
  const current = agentName === record.podName;
  if (!agentName || (current && record.endAs)) return;
  let failure: unknown;
  try {
    const existing = await ports.agents.findAgent(ports.config.namespace, agentName);
    if (existing.pod && !existing.pod.metadata?.deletionTimestamp) return;
    const template = ports.config.templates.find((candidate) => candidate.name === record.template);
    const removal = await removeAgentOf(
      ports,
      record,
      {
        agentName,
        labels: template?.labels ?? record.labels,
        // The request's agent id names its current agent: an earlier one is found by its name.
        externalId: current ? record.externalId : undefined,
      },
      // No pod runs it, whatever the CI still says of a job (GitLab until the job's timeout).
      { evenIfBusy: true },
    );
    if (removal.kind !== 'kept') return;
    failure = removal.error;
  } catch (error) {
    failure = error;
  }
  const reason = `could not remove the agent of an ended request: ${messageOf(failure)}`;
  if (lastAttempt) return attemptLog(ports, record, 'warn')(`${reason}; let go`);
  attemptLog(ports, record, 'info')(`${reason}; SQS delivers the message again`);
  throw new RetryLaterError(reason, { cause: failure });
}

/**
 * A message naming an agent of its request that nothing else points at (an earlier attempt's,
 * which its CI failed to remove: steps/failure.ts; or an old pod's the reaper deleted while its CI
 * was down): removes it as `removeUnusedAgent` does, retrying while SQS delivers the message (bugs
 * 60 and 71). Only a name the request's attempts gave (podNameFor, each generation up to its
 * `attempts`: never the name its next reserve gives), and not the agent of a request holding a slot.
 */
export async function removeLeftAgent(
  requestId: string,
  agentName: string,
  ports: ProvisionPorts,
  lastAttempt: boolean,
): Promise<ProvisionOutcome> {
  // The dead-letter queue holds builds whose request says why; this message carries no build, so
  // on its last delivery whatever fails is logged and let go.
  const record = await ports.requests.get(requestId).catch((error: unknown) => {
    if (!lastAttempt) throw error;
    ports.logger.warn('could not read the request of a left agent; let go', {
      requestId,
      agent: agentName,
      error: messageOf(error),
    });
    return undefined;
  });
  const template = record?.template;
  const named =
    record !== undefined &&
    template !== undefined &&
    Array.from({ length: record.attempts }, (_, index) =>
      podNameFor(template, requestId, index + 1),
    ).includes(agentName);
  // The agent of a request that holds a slot is its attempt's (being made, or running).
  if (!record || !named || (agentName === record.podName && record.holdsSlot))
    return { kind: 'skipped', reason: `${agentName} is no left agent of this request` };
  await removeUnusedAgent(record, ports, lastAttempt, agentName);
  return { kind: 'skipped', reason: `left agent ${agentName} handled` };
}
