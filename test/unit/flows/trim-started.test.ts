import { provisionRequest, type ProvisionPorts } from '../../../shared/provision';
import type { ReapPorts } from '../../../shared/reap';
import { reap } from '../../../shared/reap';
import { podNameFor } from '../../../shared/requests/identity';
import { managedSelector } from '../../../shared/templates/labels';
import { receiveWebhook } from '../../../shared/webhook';
import {
  createTwins,
  genericDelivery,
  livePods,
  provisionedBuild,
  recordQueued,
  slowCi,
  type Twins,
} from './twins';

/**
 * docs/reaper.md, "lowered cap": pending agents are given up; running builds are never stopped unless
 * the run is forced; a request whose attempt may still be making its agent is never given up, forced
 * or not.
 */
describe('the trim of a lowered cap and builds the CI started', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  const provisioned = (jobId: string): Promise<string> => provisionedBuild(twins, jobId, 'big', ['big']);

  /** The reaper's ports that run `meanwhile` once, right after the run lists its pods (before it lists the requests). */
  const afterPodList = (meanwhile: () => Promise<void>): ReapPorts => {
    let done = false;
    return {
      ...twins.reap,
      agents: {
        ...twins.reap.agents,
        async listPods(namespace, selector, pageSize) {
          const listed = await twins.reap.agents.listPods(namespace, selector, pageSize);
          if (selector === managedSelector && !done) {
            done = true;
            await meanwhile();
          }
          return listed;
        },
      },
    };
  };

  it('does not trim (unforced) a build the CI started after the run listed its pod as Pending', async () => {
    const older = await provisioned('b-1');
    twins.clock.advance(1);
    const newer = await provisioned('b-2');
    const newerPod = podNameFor('big', newer);
    await twins.state.settings.update((current) => ({ ...current, templateCaps: { big: 1 } }));
    // Between the run's pod list and its request list, b-2's agent starts and the CI starts the build on it.
    const ports = afterPodList(async () => {
      twins.agents.setStatus(twins.namespace, newerPod, { phase: 'Running' });
      await receiveWebhook(genericDelivery(twins, 'started', 'b-2', { labels: ['big'] }), twins.webhook);
    });
    expect(await twins.state.requests.get(newer)).toMatchObject({ status: 'provisioned' });
    await reap(ports);
    // The started build keeps its agent and its slot; the pending b-1 is the one over the cap.
    expect(await twins.state.requests.get(newer)).toMatchObject({ status: 'started', holdsSlot: true });
    expect(livePods(twins)).toContain(newerPod);
    expect(await twins.state.requests.get(older)).toMatchObject({ status: 'waiting', holdsSlot: false });
  });

  it('never gives up, even forced, a request whose attempt is still making its agent once the CI started its build', async () => {
    const first = await provisioned('b-1');
    twins.clock.advance(1);
    const second = await recordQueued(twins, 'b-2', 'big', ['big']);
    const secondPod = podNameFor('big', second);
    // b-2's attempt reserves, waits at its CI, then (released) makes its pod and stalls before recording it.
    const ci = slowCi(twins);
    let podMade: () => void = () => undefined;
    const made = new Promise<void>((resolve) => (podMade = resolve));
    let letRecord: () => void = () => undefined;
    const recordGate = new Promise<void>((resolve) => (letRecord = resolve));
    const attemptPorts: ProvisionPorts = {
      ...ci.ports,
      agents: {
        ...ci.ports.agents,
        async createPod(pod) {
          const created = await ci.ports.agents.createPod(pod);
          podMade();
          await recordGate;
          return created;
        },
      },
    };
    const inFlight = provisionRequest(second, attemptPorts);
    await ci.atCi;
    await twins.state.settings.update((current) => ({ ...current, templateCaps: { big: 1 } }));
    // The run lists the pods before b-2's exists; then the pod is made, runs, and the CI starts b-2 on it
    // (`start` from `provisioning`: the CI may say so before the attempt recorded its pod).
    const ports = afterPodList(async () => {
      ci.release();
      await made;
      twins.agents.setStatus(twins.namespace, secondPod, { phase: 'Running' });
      await receiveWebhook(genericDelivery(twins, 'started', 'b-2', { labels: ['big'] }), twins.webhook);
    });
    const during = await reap(ports, { force: true });
    letRecord();
    await inFlight.catch(() => undefined);
    // b-2's attempt was making its agent (attemptUntilMs in the future): never given up, forced or not.
    expect(await twins.state.requests.get(second)).toMatchObject({ status: 'started', holdsSlot: true });
    expect(livePods(twins)).toContain(secondPod);
    expect(during.deleted['over-cap']).toBe(1);
    expect(await twins.state.requests.get(first)).toMatchObject({ status: 'waiting', holdsSlot: false });
  });
});
