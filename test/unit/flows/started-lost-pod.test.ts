/**
 * A request the CI says started whose pod is lost or stuck (bug 49): the build runs on an agent
 * already, another or the lost one, and a CI hands a started build to no new agent, so the reaper
 * gives the slot back and leaves the request `started` rather than retry it. A review of bug 46's
 * fix found two roads to such a request that the fix left: the attempt's pod lookup failing too, and
 * a pod made without its Secret. The faulted storm met the second (an attempt killed after its pod,
 * a GitLab job taken by another runner): a cancelled build with two pods.
 */
import { provisionRequest, RetryLaterError, type ProvisionPorts } from '../../../shared/provision';
import { reap } from '../../../shared/reap';
import { ClusterUnavailableError } from '../../../shared/cluster/errors';
import { receiveWebhook } from '../../../shared/webhook';
import { createTwins, genericDelivery, livePods, queuedBuild, slots, type Twins } from './twins';

describe('a started build whose pod is lost or stuck (bug 49)', () => {
  let twins: Twins;
  let requestId: string;
  beforeEach(async () => {
    twins = createTwins();
    requestId = await queuedBuild(twins, 'build-1');
  });

  /** The pod create lets the CI start the build elsewhere, then fails with `error`; no pod is made. */
  const failingCreate = (error: Error, lookupFails = false): ProvisionPorts => ({
    ...twins.provision,
    agents: {
      ...twins.provision.agents,
      createPod: async () => {
        expect(
          await receiveWebhook(genericDelivery(twins, 'started', 'build-1'), twins.webhook),
        ).toMatchObject({ status: 'started' });
        throw error;
      },
      findAgent: lookupFails
        ? () => Promise.reject(new ClusterUnavailableError('the API server timed out', 504))
        : twins.provision.agents.findAgent,
    },
  });

  it('makes no agent when the pod lookup after the failure fails too (the same API server outage)', async () => {
    await expect(
      provisionRequest(requestId, failingCreate(new ClusterUnavailableError('timed out', 504), true)),
    ).rejects.toBeInstanceOf(RetryLaterError);
    // Unknown whether the pod exists: the slot is kept, the request `started`, and no attempt holds it.
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'started', holdsSlot: true });
    // The message comes back: a started request is skipped; nothing looks for the pod again.
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'skipped' });
    // The reaper, past the lost grace, finds no pod: it gives the slot back and retries nothing.
    twins.clock.advance(120);
    await reap(twins.reap);
    for (const id of twins.queue.sentIds())
      await provisionRequest(id, twins.provision).catch(() => undefined);
    expect(livePods(twins)).toEqual([]);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'started', holdsSlot: false });
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
  });

  it('makes no second agent when the pod was made but its Secret was not (the pod cannot run the agent)', async () => {
    const ports: ProvisionPorts = {
      ...twins.provision,
      agents: {
        ...twins.provision.agents,
        putSecret: async () => {
          expect(
            await receiveWebhook(genericDelivery(twins, 'started', 'build-1'), twins.webhook),
          ).toMatchObject({ status: 'started' });
          throw new ClusterUnavailableError('the API server timed out', 504);
        },
      },
    };
    await expect(provisionRequest(requestId, ports)).rejects.toBeInstanceOf(RetryLaterError);
    const podName = livePods(twins)[0] ?? '';
    // Its Secret missing, the pod's agent container cannot start (envFrom the Secret).
    twins.agents.setStatus(twins.namespace, podName, {
      phase: 'Pending',
      containerStatuses: [
        {
          name: 'agent',
          image: 'busybox',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret not found' } },
        },
      ],
    });
    // The message comes back to a started request: skipped, so nothing puts the Secret.
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'skipped' });
    twins.clock.advance(120);
    await reap(twins.reap);
    for (const id of twins.queue.sentIds())
      await provisionRequest(id, twins.provision).catch(() => undefined);
    // The stuck pod goes, and no new one: the build runs on another agent.
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'started', holdsSlot: false });
    expect(livePods(twins)).toEqual([]);
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
  });
});
