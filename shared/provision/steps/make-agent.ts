import { fromStatesOf } from '../../requests/transitions';
import { CiError } from '../../sources/errors';
import { isPodMadeFor } from '../../templates/labels';
import { renderAgentPod, renderAgentSecret } from '../../templates/pod';
import { adapterOf } from '../adapter-of';
import { ForeignPodError } from '../errors';
import { attemptLog, type Attempt, type ProvisionOutcome, type ProvisionPorts } from '../types';

/**
 * The agent to record: `made` by this attempt (its pod created now, or adopted on a 409 from an earlier
 * attempt), or `resumed`: a previous attempt made the pod and its Secret (steps/start-attempt.ts).
 */
export type MadeAgent =
  | { readonly kind: 'made'; readonly adopted: boolean; readonly externalId: string | undefined }
  | { readonly kind: 'resumed' };

/**
 * Asks the CI for the agent's credentials, creates the pod and puts its Secret. Credentials go into
 * the pod's env and Secret, so they are made before the pod; if the pod's name turns out taken by a pod
 * not made for this request, the failure (`ForeignPodError`) deregisters them.
 */
export async function makeAgent(attempt: Attempt, ports: ProvisionPorts): Promise<MadeAgent> {
  const { record, template, podName } = attempt;
  const requestId = record.requestId;
  const adapter = await adapterOf(ports, record.source);
  if (!adapter) throw new CiError(`source '${record.source}' is not configured`, false);
  const credentials = await adapter.createAgentCredentials({
    requestId,
    agentName: podName,
    labels: template.labels,
    details: record.details,
    jobKey: record.jobKey,
  });
  attempt.externalId = credentials.externalId;
  const pod = renderAgentPod({
    template,
    defaults: ports.config.defaults,
    namespace: ports.config.namespace,
    podName,
    requestId,
    agentEnv: credentials.env,
    agentEnvDefaults: credentials.envDefaults,
  });
  const created = await ports.agents.createPod(pod);
  // 409: a pod of this name exists. Adopt it only if Pitcrew made it for this request (an earlier
  // attempt); anything else must never run this build's agent or see its credentials.
  if (created.adopted && !isPodMadeFor(created.pod, { requestId, template: template.name }))
    throw new ForeignPodError(ports.config.namespace, podName);
  attempt.podCreated = true;
  await ports.agents.putSecret(
    renderAgentSecret({
      namespace: ports.config.namespace,
      podName,
      podUid: created.pod.metadata?.uid ?? '',
      requestId,
      secretEnv: credentials.secretEnv,
    }),
  );
  return { kind: 'made', adopted: created.adopted, externalId: credentials.externalId };
}

/**
 * Records the agent's pod on the request. `moved` when the request left `provisioning` meanwhile
 * (the CI ended the build, an operator cancelled it, another attempt gave up the slot).
 */
export async function recordAgent(
  attempt: Attempt,
  made: MadeAgent,
  ports: ProvisionPorts,
): Promise<{ readonly kind: 'recorded'; readonly outcome: ProvisionOutcome } | { readonly kind: 'moved' }> {
  const { record, podName } = attempt;
  const move = {
    requestId: record.requestId,
    from: fromStatesOf('record-pod'),
    to: 'provisioned' as const,
    set: made.kind === 'made' ? { podName, externalId: made.externalId } : { podName },
    remove: ['reason', 'attemptUntilMs'] as const,
  };
  const recorded = attempt.recordPod
    ? await attempt.recordPod(move)
    : (await ports.requests.transition(move.requestId, move.from, move.to, move.set, move.remove)) !==
      undefined;
  if (!recorded) return { kind: 'moved' };
  const log = attemptLog(ports, record);
  const adopted = made.kind === 'resumed' || made.adopted;
  if (made.kind === 'resumed') log('adopted the agent a previous attempt created', { podName });
  else log('agent pod created', { podName, adopted });
  return { kind: 'recorded', outcome: { kind: 'provisioned', podName, adopted, queuedAt: record.createdAt } };
}
