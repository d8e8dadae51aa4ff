import { crashingPorts, crashPoints, type CrashPoint } from '../../../infra/local/stand-ins/crash-ports';
import { provisionRequest, RetryLaterError } from '../../../shared/provision';
import { reap } from '../../../shared/reap';
import { podNameFor } from '../../../shared/requests/identity';
import { receiveWebhook } from '../../../shared/webhook';
import {
  attemptSeconds,
  createTwins,
  genericDelivery,
  genericRequestId,
  livePods,
  queuedBuild,
  slots,
  withCiAdapter,
  type Twins,
} from './twins';

/**
 * A provision attempt that dies right after each of its steps (as integration/reliability/
 * crash-points does on the real servers, with the same crashingPorts), then whatever comes next:
 * the message delivered again, the build cancelled, or only the reaper. Each must end with one pod
 * (or none), its Secret owned by it, and no slot leaked.
 */
describe.each(crashPoints)('a provision attempt that dies %s', (point: CrashPoint) => {
  let twins: Twins;
  let requestId: string;
  let podName: string;

  beforeEach(async () => {
    twins = createTwins();
    expect(await receiveWebhook(genericDelivery(twins, 'queued', 'build-1'), twins.webhook)).toMatchObject({
      kind: 'accepted',
    });
    requestId = genericRequestId('build-1');
    podName = podNameFor('gen', requestId);
    twins.queue.clear();
    const { ports, crashed } = crashingPorts(twins.provision, point);
    void provisionRequest(requestId, ports);
    await crashed;
  });

  const podAfterCrash = (): boolean => point === 'after-pod' || point === 'after-secret';

  it('leaves the request provisioning with its slot held for the attempt', async () => {
    const record = await twins.state.requests.get(requestId);
    expect(record).toMatchObject({ status: 'provisioning', holdsSlot: true, podName, attempts: 1 });
    expect(record?.attemptUntilMs).toBe(twins.clock.ms() + attemptSeconds * 1000);
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
    expect(livePods(twins)).toEqual(podAfterCrash() ? [podName] : []);
    expect(twins.agents.secret(twins.namespace, podName) !== undefined).toBe(point === 'after-secret');
  });

  it('a second attempt within the first one’s time steps aside, touching neither pod nor slot', async () => {
    twins.clock.advance(attemptSeconds - 1);
    await expect(provisionRequest(requestId, twins.provision)).rejects.toThrow(RetryLaterError);
    expect(livePods(twins)).toEqual(podAfterCrash() ? [podName] : []);
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'provisioning',
      holdsSlot: true,
    });
    // On the last delivery it lets the message go rather than fail a request another attempt holds.
    expect(await provisionRequest(requestId, twins.provision, true)).toEqual({
      kind: 'skipped',
      reason: 'another attempt is making this agent',
    });
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'provisioning' });
  });

  it('the message delivered again after the attempt’s time: one pod with its Secret, one slot', async () => {
    const uidBefore = twins.agents.pod(twins.namespace, podName)?.metadata?.uid;
    twins.clock.advance(attemptSeconds + 1);
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({
      kind: 'provisioned',
      podName,
      adopted: podAfterCrash(),
    });
    expect(livePods(twins)).toEqual([podName]);
    const pod = twins.agents.pod(twins.namespace, podName);
    if (podAfterCrash()) expect(pod?.metadata?.uid).toBe(uidBefore);
    expect(twins.agents.secret(twins.namespace, podName)?.metadata?.ownerReferences?.[0]?.uid).toBe(
      pod?.metadata?.uid,
    );
    const record = await twins.state.requests.get(requestId);
    expect(record).toMatchObject({ status: 'provisioned', holdsSlot: true, podName });
    expect(record?.attemptUntilMs).toBeUndefined();
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
  });

  it('the build cancelled before the message comes back: no pod, no slot', async () => {
    expect(await receiveWebhook(genericDelivery(twins, 'cancelled', 'build-1'), twins.webhook)).toMatchObject(
      {
        kind: 'recorded',
        status: 'ending',
      },
    );
    expect(twins.queue.sentIds()).toEqual([requestId]);
    // The webhook's message waits out the attempt's time: a live attempt would finish the build
    // itself, and its slot given away meanwhile could run two agents against the cap (bug 39).
    await expect(provisionRequest(requestId, twins.provision)).rejects.toThrow(RetryLaterError);
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
    twins.clock.advance(attemptSeconds + 1);
    expect(await provisionRequest(requestId, twins.provision)).toEqual({
      kind: 'ended',
      status: 'cancelled',
    });
    expect(livePods(twins)).toEqual([]);
    expect(twins.agents.secret(twins.namespace, podName)).toBeUndefined();
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'cancelled',
      holdsSlot: false,
    });
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
    // The dead attempt's own message, delivered again later, changes nothing.
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'skipped' });
    expect(livePods(twins)).toEqual([]);
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
  });

  it('the message lost: the reaper gives the build another go (or resends it) and it ends with one pod', async () => {
    // By then a pod the attempt made is running (the twin runs nothing: the kubelet's part is ours).
    if (podAfterCrash()) twins.agents.setStatus(twins.namespace, podName, { phase: 'Running' });
    twins.clock.advance(twins.config.reaper.staleQueuedSeconds + 1);
    const report = await reap(twins.reap);
    expect(report).toMatchObject(
      podAfterCrash() ? { resent: 1, lost: 0, errors: 0 } : { lost: 1, retried: 1, errors: 0 },
    );
    expect(twins.queue.sentIds()).toEqual([requestId]);
    expect(await twins.state.requests.get(requestId)).toMatchObject(
      podAfterCrash()
        ? { status: 'provisioning', holdsSlot: true, retriesUsed: 0 }
        : { status: 'queued', holdsSlot: false, retriesUsed: 1 },
    );
    expect(await slots(twins)).toEqual(
      podAfterCrash() ? { global: 1, templates: { gen: 1 } } : { global: 0, templates: { gen: 0 } },
    );
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({
      kind: 'provisioned',
      adopted: podAfterCrash(),
    });
    // A pod the attempt made is adopted; a retry's agent is the request's second, of a new name.
    expect(livePods(twins)).toEqual([podAfterCrash() ? podName : podNameFor('gen', requestId, 2)]);
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
  });
});

/**
 * The same deaths on the message's last delivery, with a CI that keeps a list of the agents it was
 * asked for, and the build then cancelled: nothing is left to deliver the message again, yet the
 * agent the attempt may have registered must not stay listed at the CI. The request names the
 * agent from its reserve on (its `podName`), so whoever ends it removes that agent: the cancel's
 * own message once the dead attempt's time is out, or, that message lost too, the reaper.
 */
describe.each(crashPoints)(
  'a provision attempt that dies %s on the last delivery, its build then cancelled',
  (point) => {
    it.each([
      ['the cancel’s message', true],
      ['the reaper alone', false],
    ])('leaves no agent at the CI, no pod and no slot, ended by %s', async (_by, messageKept) => {
      const twins = createTwins();
      const registered = new Set<string>();
      const provision = withCiAdapter(twins, (real) => ({
        async createAgentCredentials(request) {
          registered.add(request.agentName);
          return real.createAgentCredentials(request);
        },
        async deregisterAgent(agent) {
          registered.delete(agent.agentName);
          return real.deregisterAgent(agent);
        },
      }));
      const reapPorts = { ...twins.reap, sources: provision.sources };
      const requestId = await queuedBuild(twins, 'build-last');
      const { ports, crashed } = crashingPorts(provision, point);
      void provisionRequest(requestId, ports, true);
      await crashed;
      expect([...registered]).toEqual(point === 'after-reserve' ? [] : [podNameFor('gen', requestId)]);

      twins.clock.advance(5);
      expect(
        await receiveWebhook(genericDelivery(twins, 'cancelled', 'build-last'), twins.webhook),
      ).toMatchObject({ kind: 'recorded', status: 'ending' });
      if (messageKept) {
        twins.clock.advance(attemptSeconds + 1);
        expect(await provisionRequest(requestId, provision, true)).toEqual({
          kind: 'ended',
          status: 'cancelled',
        });
      } else {
        twins.queue.clear();
        twins.clock.advance(attemptSeconds + 1);
        await reap(reapPorts);
      }
      expect(await twins.state.requests.get(requestId)).toMatchObject({
        status: 'cancelled',
        holdsSlot: false,
      });
      expect([...registered]).toEqual([]);
      expect(livePods(twins)).toEqual([]);
      expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
    });
  },
);
