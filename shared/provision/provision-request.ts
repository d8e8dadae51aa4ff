import type { AgentTemplate, PitcrewConfig } from '../config/file-schema';
import type { AgentClient } from '../cluster/agents';
import { ClusterError } from '../cluster/errors';
import type { LoggerPort } from '../ports/logger';
import type { ProvisionQueue } from '../ports/provision-queue';
import { podNameFor } from '../requests/identity';
import { isTerminal, type RequestRecord } from '../requests/record';
import { fromStatesOf } from '../requests/transitions';
import { CiError } from '../sources/errors';
import type { AgentRequest } from '../sources/types';
import type { CapacityStore } from '../state/capacity-store';
import type { RequestStore } from '../state/request-store';
import type { RuntimeSettings, SettingsStore } from '../state/settings-store';
import { StateUnavailableError } from '../state/errors';
import { queueLimits } from '../queue/limits';
import { isPodMadeFor } from '../templates/labels';
import { renderAgentPod, renderAgentSecret } from '../templates/pod';
import type { SourceRegistry } from '../sources/types';
import { decideProvision } from './decide';
import { ForeignPodError, RetryLaterError } from './errors';
import { finishRequest } from './finish-request';
import type { Prepared } from './prepare-batch';

export interface ProvisionPorts {
  readonly config: Pick<PitcrewConfig, 'templates' | 'defaults' | 'capacity'> & {
    readonly namespace: string;
  };
  readonly sources: SourceRegistry;
  readonly requests: RequestStore;
  readonly capacity: CapacityStore;
  readonly settings: SettingsStore;
  readonly agents: AgentClient;
  readonly logger: LoggerPort;
  /** Where waiting requests are re-enqueued when an ended build frees its slot (finish-request.ts). */
  readonly queue: ProvisionQueue;
  /**
   * How long one attempt may run at most: the provision function's timeout (the default). A second
   * attempt at the same request waits that long for the first before it takes over.
   */
  readonly attemptSeconds?: number;
}

export type ProvisionOutcome =
  | {
      readonly kind: 'provisioned';
      readonly podName: string;
      readonly adopted: boolean;
      /** When the build was queued (the request's creation): the start of queued-to-pod latency. */
      readonly queuedAt: string;
    }
  | { readonly kind: 'waiting'; readonly reason: string }
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string }
  /** The CI had ended the build: its agent is removed and its slot given back. */
  | { readonly kind: 'ended'; readonly status: 'completed' | 'cancelled' };

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
  /** What the batch already read and reserved for this message (prepare-batch.ts), if anything. */
  prepared?: Prepared,
): Promise<ProvisionOutcome> {
  const [record, runtime] = prepared
    ? [prepared.record, prepared.runtime]
    : await Promise.all([ports.requests.get(requestId), ports.settings.get()]);
  const log = (message: string, extra: Record<string, unknown> = {}): void =>
    ports.logger.info(message, { requestId, jobKey: record?.jobKey, ...extra });
  const decision = decideProvision(record, runtime.drained);
  if (decision.kind === 'finish' && record) return finishOrLeaveToReaper(record, runtime, ports, lastAttempt);
  if (decision.kind === 'skip' || !record) {
    if (record && isTerminal(record.status)) await removeUnusedAgent(record, ports);
    return { kind: 'skipped', reason: decision.kind === 'skip' ? decision.reason : 'no record' };
  }

  const template = ports.config.templates.find((candidate) => candidate.name === record.template);
  if (!template)
    return failWithoutSlot(record, `template '${record.template}' is no longer configured`, ports);
  if (decision.kind === 'wait') return markWaiting(record, decision.reason, ports);

  const podName = podNameFor(template.name, requestId);
  const attemptSeconds = ports.attemptSeconds ?? queueLimits.provisionTimeoutSeconds;
  if (decision.kind === 'resume' && !(await ports.requests.claimAttempt(requestId, attemptSeconds))) {
    // Another attempt holds the request and may still be making its agent (a duplicate message, or
    // one delivered again while the first still runs): making credentials now would replace the
    // ones it is about to hand its pod (a GitHub JIT runner is single-use). Come back after it.
    const reason = 'another attempt is making this agent';
    if (lastAttempt) return { kind: 'skipped', reason };
    throw new RetryLaterError(`${reason}; trying again after it`);
  }
  if (decision.kind === 'reserve' && prepared?.reserved) {
    log('slot reserved with its batch', { template: template.name, podName });
  } else if (decision.kind === 'reserve') {
    const reservation = await ports.capacity.reserve({
      requestId,
      template: template.name,
      podName,
      globalCap: runtime.globalCap ?? ports.config.capacity.globalCap,
      templateCap: runtime.templateCaps[template.name] ?? template.instanceCap,
      attemptSeconds,
    });
    if (!reservation.reserved) {
      if (reservation.reason === 'request-moved')
        return { kind: 'skipped', reason: 'another provisioner took this request' };
      return markWaiting(
        record,
        `at the ${reservation.reason === 'global-cap' ? 'global' : `'${template.name}'`} cap`,
        ports,
      );
    }
    log('slot reserved', { template: template.name, podName });
  }

  // Resuming, a previous attempt may have made the pod: until the API server says it did not, the
  // slot is kept on a failure (giving it back would leave a pod outside the caps).
  let podCreated = decision.kind === 'resume';
  // The CI's id of the agent this attempt registered, so a failure deregisters exactly it.
  let externalId: string | undefined;
  const madeForThis = { requestId, template: template.name };
  try {
    if (decision.kind === 'resume') {
      const existing = await ports.agents.findAgent(ports.config.namespace, podName);
      if (existing.pod && !isPodMadeFor(existing.pod, madeForThis)) {
        podCreated = false; // not ours: never deleted, and it holds no slot of ours
        throw new ForeignPodError(ports.config.namespace, podName);
      }
      // A previous attempt got as far as the pod and its Secret: new credentials would orphan the
      // ones the pod already runs with (a GitHub JIT runner is single-use), so just record it.
      if (existing.pod && existing.hasSecret) {
        const adopted = await ports.requests.transition(
          requestId,
          fromStatesOf('record-pod'),
          'provisioned',
          { podName },
          ['reason', 'attemptUntilMs'],
        );
        if (!adopted) return abandonAgent(record, template, podName, runtime, ports);
        log('adopted the agent a previous attempt created', { podName });
        return { kind: 'provisioned', podName, adopted: true, queuedAt: record.createdAt };
      }
      podCreated = existing.pod !== undefined;
    }
    const source = ports.sources[record.source];
    if (!source) throw new CiError(`source '${record.source}' is not configured`, false);
    const agentRequest: AgentRequest = {
      requestId,
      agentName: podName,
      labels: template.labels,
      details: record.details,
    };
    // Credentials go into the pod's env and Secret, so they are made before the pod; if the pod's
    // name turns out taken by a pod not made for this request, the failure below deregisters them.
    const credentials = await source.adapter.createAgentCredentials(agentRequest);
    externalId = credentials.externalId;
    const pod = renderAgentPod({
      template,
      defaults: ports.config.defaults,
      namespace: ports.config.namespace,
      podName,
      requestId,
      agentEnv: credentials.env,
    });
    const created = await ports.agents.createPod(pod);
    // 409: a pod of this name exists. Adopt it only if Pitcrew made it for this request (an earlier
    // attempt); anything else must never run this build's agent or see its credentials.
    if (created.adopted && !isPodMadeFor(created.pod, madeForThis))
      throw new ForeignPodError(ports.config.namespace, podName);
    podCreated = true;
    await ports.agents.putSecret(
      renderAgentSecret({
        namespace: ports.config.namespace,
        podName,
        podUid: created.pod.metadata?.uid ?? '',
        requestId,
        secretEnv: credentials.secretEnv,
      }),
    );
    const recorded = await ports.requests.transition(
      requestId,
      fromStatesOf('record-pod'),
      'provisioned',
      { podName, externalId: credentials.externalId },
      ['reason', 'attemptUntilMs'],
    );
    if (!recorded) return abandonAgent(record, template, podName, runtime, ports);
    log('agent pod created', { podName, adopted: created.adopted });
    return { kind: 'provisioned', podName, adopted: created.adopted, queuedAt: record.createdAt };
  } catch (error) {
    return handleFailure(error, { record, template, podName, podCreated, lastAttempt, externalId }, ports);
  }
}

async function handleFailure(
  error: unknown,
  context: {
    record: RequestRecord;
    template: AgentTemplate;
    podName: string;
    podCreated: boolean;
    lastAttempt: boolean;
    externalId?: string;
  },
  ports: ProvisionPorts,
): Promise<ProvisionOutcome> {
  const { record, template, podName } = context;
  // Anything else (a ForeignPodError, a bug) is permanent.
  const retryable =
    error instanceof CiError || error instanceof ClusterError
      ? error.retryable
      : error instanceof StateUnavailableError;
  const reason = error instanceof Error ? error.message : String(error);
  if (retryable && !context.lastAttempt) {
    // Keep the slot when the pod exists: the next attempt adopts it, and the cap stays true; it need
    // not wait for this attempt, which ends here.
    if (!context.podCreated)
      await ports.capacity.release(record.requestId, template.name, 'queued', `retrying: ${reason}`);
    else await ports.requests.endAttempt(record.requestId);
    ports.logger.warn('provision failed; SQS will retry', {
      requestId: record.requestId,
      jobKey: record.jobKey,
      reason,
    });
    throw new RetryLaterError(reason, { cause: error });
  }
  const why = retryable
    ? `gave up after the last delivery (the message goes to the dead-letter queue): ${reason}`
    : reason;
  if (context.podCreated)
    await ports.agents.deletePod(ports.config.namespace, podName).catch(() => undefined);
  await ports.sources[record.source]?.adapter
    .deregisterAgent({
      requestId: record.requestId,
      agentName: podName,
      labels: template.labels,
      details: record.details,
      externalId: context.externalId,
    })
    .catch(() => undefined);
  await ports.capacity.release(record.requestId, template.name, 'failed', why);
  ports.logger.error('provision failed for good', {
    requestId: record.requestId,
    jobKey: record.jobKey,
    reason: why,
  });
  // A transient failure on the last delivery still fails the item, so SQS moves the message to the
  // DLQ where an operator can redrive it; the record already says why.
  if (retryable) throw new RetryLaterError(why, { cause: error });
  return { kind: 'failed', reason: why };
}

/**
 * An ended build's message: a failure is retried by SQS, but on the last delivery the message is let
 * go rather than sent to the dead-letter queue, where its request would not say why: the request stays
 * `ending`, and the reaper's `ended` rule finishes it (reaper.md).
 */
async function finishOrLeaveToReaper(
  record: RequestRecord,
  runtime: RuntimeSettings,
  ports: ProvisionPorts,
  lastAttempt: boolean,
): Promise<ProvisionOutcome> {
  if (!lastAttempt) return finishRequest(record, runtime, ports);
  try {
    return await finishRequest(record, runtime, ports);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    ports.logger.warn('could not finish the ended build; the reaper finishes it', {
      requestId: record.requestId,
      jobKey: record.jobKey,
      reason,
    });
    return { kind: 'skipped', reason: `left to the reaper: ${reason}` };
  }
}

/**
 * The request left `provisioning` while its agent was being made: the CI ended the build (or an
 * operator cancelled it), or another attempt gave up the slot. An ended build will never use the
 * agent, so it goes now rather than running outside the caps until the reaper finds it; otherwise the
 * attempt that moved the request owns what happens next (its message is on the queue).
 */
async function abandonAgent(
  record: RequestRecord,
  template: AgentTemplate,
  podName: string,
  runtime: RuntimeSettings,
  ports: ProvisionPorts,
): Promise<ProvisionOutcome> {
  const now = await ports.requests.get(record.requestId);
  // The CI ended the build while this attempt made its agent: finish it here and now (remove the
  // agent, give the slot back) rather than leave it for the message the webhook sent.
  if (now?.status === 'ending') {
    const finished = await finishRequest(now, runtime, ports);
    return finished.kind === 'ended'
      ? { kind: 'skipped', reason: `the build was ${finished.status} while its agent was being made` }
      : finished;
  }
  if (!now || !isTerminal(now.status))
    return { kind: 'skipped', reason: `another attempt moved the request to ${now?.status ?? 'nowhere'}` };
  await ports.agents.deletePod(ports.config.namespace, podName);
  await deregisterAgent(now, template.labels, podName, ports);
  ports.logger.info('the build ended while its agent was being made; agent removed', {
    requestId: record.requestId,
    podName,
  });
  return { kind: 'skipped', reason: `the build was ${now.status} while its agent was being made` };
}

/**
 * A message for an ended request that had a slot (so an attempt may have registered an agent at the
 * CI before it died): if no pod runs that agent, nothing ever will, so it is deregistered. A pod that
 * exists is the reaper's: it deregisters the agent when it deletes the pod (after checking that a
 * Jenkins agent is idle). Best effort: the message is done with either way.
 */
async function removeUnusedAgent(record: RequestRecord, ports: ProvisionPorts): Promise<void> {
  if (!record.podName) return;
  try {
    const existing = await ports.agents.findAgent(ports.config.namespace, record.podName);
    if (existing.pod) return;
    const template = ports.config.templates.find((candidate) => candidate.name === record.template);
    await deregisterAgent(record, template?.labels ?? record.labels, record.podName, ports);
  } catch (error) {
    ports.logger.warn('could not check for an unused agent of an ended request', {
      requestId: record.requestId,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

async function deregisterAgent(
  record: RequestRecord,
  labels: readonly string[],
  podName: string,
  ports: ProvisionPorts,
): Promise<void> {
  await ports.sources[record.source]?.adapter.deregisterAgent({
    requestId: record.requestId,
    agentName: podName,
    labels,
    details: record.details,
    externalId: record.externalId,
  });
}

async function markWaiting(
  record: RequestRecord,
  reason: string,
  ports: ProvisionPorts,
): Promise<ProvisionOutcome> {
  await ports.requests.transition(record.requestId, fromStatesOf('wait'), 'waiting', { reason });
  ports.logger.info('request waiting', { requestId: record.requestId, jobKey: record.jobKey, reason });
  return { kind: 'waiting', reason };
}

async function failWithoutSlot(
  record: RequestRecord,
  reason: string,
  ports: ProvisionPorts,
): Promise<ProvisionOutcome> {
  if (record.holdsSlot && record.template)
    await ports.capacity.release(record.requestId, record.template, 'failed', reason);
  else
    await ports.requests.transition(record.requestId, fromStatesOf('fail-without-slot'), 'failed', {
      reason,
    });
  return { kind: 'failed', reason };
}
