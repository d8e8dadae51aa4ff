import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCapacityStore } from '../../../shared/state';
import { deliveryFor, requestIdOf, type Build } from '../../../infra/local/stand-ins/builds';
import {
  startKubeFaultProxy,
  type KubeFault,
  type KubeFaultProxy,
} from '../../../infra/local/stand-ins/kube-fault-proxy';
import { requiredTestEnv } from '../../support/env';
import { startProvisioningSystem, type ProvisioningSystem } from '../../support/provisioning';

/**
 * The API server goes away, throttles (429 with Retry-After), fails (503) and slows down in the middle
 * of a batch, reached through a proxy in front of the real one. Provisioning must retry through SQS,
 * give back the slots of builds whose pod cannot exist while it waits (a create the server may yet
 * apply keeps its slot: bug 33), lose nothing, and end with exactly one pod per build.
 */
const builds = (first: number, count: number): Build[] =>
  Array.from({ length: count }, (_, index) => ({
    source: (['generic', 'jenkins', 'github'] as const)[index % 3]!,
    id: first + index,
  }));

async function queue(system: ProvisioningSystem, list: readonly Build[]): Promise<string[]> {
  const ids: string[] = [];
  for (const build of list) {
    const delivery = deliveryFor(build, 'queued');
    expect((await system.sendWebhook(delivery.source, delivery.body, delivery.headers)).statusCode).toBe(202);
    ids.push(requestIdOf(build, system.jenkins.url));
  }
  return ids;
}

/** Pods as the cluster has them (read directly, not through the proxy). */
async function podsByRequest(system: ProvisioningSystem): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const pod of await system.listPods()) {
    const id = pod.metadata?.labels?.['pitcrew.dev/request-id'] ?? '';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

async function expectExactlyOnePodEach(system: ProvisioningSystem, requestIds: string[]): Promise<void> {
  const pods = await podsByRequest(system);
  for (const requestId of requestIds) {
    expect({ requestId, pods: pods.get(requestId) ?? 0 }).toEqual({ requestId, pods: 1 });
    expect(await system.requests.get(requestId)).toMatchObject({ status: 'provisioned', holdsSlot: true });
  }
  expect([...pods.values()].reduce((sum, count) => sum + count, 0)).toBe(requestIds.length);
  const counters = await createCapacityStore(system.db, system.resources.tableName).readCounters();
  expect(counters.global).toBe(requestIds.length);
  const { Attributes } = await system.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: system.resources.dlqUrl,
      AttributeNames: ['ApproximateNumberOfMessages'],
    }),
  );
  expect(Attributes?.ApproximateNumberOfMessages).toBe('0');
}

describe('the API server fails in the middle of a batch', () => {
  let proxy: KubeFaultProxy;
  let system: ProvisioningSystem;
  beforeAll(async () => {
    proxy = await startKubeFaultProxy({ kubeconfigPath: requiredTestEnv('kubeconfig') });
    system = await startProvisioningSystem({
      clusterCredentials: proxy.credentials,
      visibilityTimeoutSeconds: 2,
      clusterTimeouts: { connectTimeoutMs: 1000, requestTimeoutMs: 1500 },
      templates: [
        { name: 'gen-tight', source: 'generic', labels: ['tight'], image: 'busybox:1.36', instanceCap: 1 },
      ],
      reaper: { orphanGraceSeconds: 1, stuckGraceSeconds: 60, lostGraceSeconds: 60, staleQueuedSeconds: 900 },
    });
  });
  afterAll(async () => {
    await system.close();
    await proxy.close();
  });

  it('down, then throttling, then failing: retried with backoff, slots held only by builds whose pod may exist, one pod per build in the end', async () => {
    const requestIds = await queue(system, builds(1, 15));
    const phases: { fault: KubeFault; forMs: number }[] = [
      { fault: { kind: 'refuse' }, forMs: 1500 },
      { fault: { kind: 'status', status: 429, retryAfterSeconds: 1 }, forMs: 1500 },
      { fault: { kind: 'status', status: 503, retryAfterSeconds: 1 }, forMs: 1500 },
    ];
    // One provisioner; the test pauses it between polls to look at the table while nothing is in flight.
    let provisioning = true;
    let paused: Promise<void> | undefined;
    let idle: () => void = () => undefined;
    let received = 0;
    const provisioner = (async () => {
      while (provisioning) {
        received += (await system.pollOnce(1)).received;
        idle();
        if (paused) await paused;
      }
    })();
    const whileIdle = async <T>(look: () => Promise<T>): Promise<T> => {
      let resume: () => void = () => undefined;
      paused = new Promise((resolve) => (resume = resolve));
      await new Promise<void>((resolve) => (idle = resolve));
      try {
        return await look();
      } finally {
        paused = undefined;
        resume();
      }
    };
    // Let a few pods through, then cut the API server off mid-batch.
    const posted = (): number =>
      proxy.calls.filter((call) => call.method === 'POST' && /\/pods$/.test(call.path)).length;
    while (posted() < 3) await sleep(10);
    const samples: {
      phase: string;
      holders: number;
      pods: number;
      cutOff: number;
      queuedWithoutSlot: number;
    }[] = [];
    for (const phase of phases) {
      proxy.clearRules();
      proxy.addRule({ fault: phase.fault });
      await sleep(phase.forMs);
      // While the API server is unusable, only builds whose pod may exist keep a slot: made, or a
      // create it may yet apply (one whose connection dropped once sent; bug 33).
      samples.push(
        await whileIdle(async () => {
          const counters = await createCapacityStore(system.db, system.resources.tableName).readCounters();
          const byRequest = await podsByRequest(system);
          const pods = [...byRequest.values()].reduce((sum, count) => sum + count, 0);
          const records = await Promise.all(requestIds.map((id) => system.requests.get(id)));
          const queuedWithoutSlot = records.filter((r) => r?.status === 'queued' && !r.holdsSlot).length;
          // Cut off mid-create: provisioning with its slot and no pod (yet).
          const cutOff = records.filter(
            (r) => r?.status === 'provisioning' && r.holdsSlot && !byRequest.has(r.requestId),
          ).length;
          return { phase: phase.fault.kind, holders: counters.global, pods, cutOff, queuedWithoutSlot };
        }),
      );
    }
    proxy.clearRules();
    await sleep(4000);
    provisioning = false;
    await provisioner;
    await system.provisionAll();

    const faults = proxy.calls.filter((call) => call.fault !== undefined).length;
    expect(faults).toBeGreaterThan(0);
    // Some messages were delivered more than once: that is the retry.
    expect(received).toBeGreaterThan(requestIds.length);
    for (const sample of samples) {
      expect({ ...sample, holders: sample.pods + sample.cutOff }).toEqual(sample);
      expect(sample.holders + sample.queuedWithoutSlot).toBe(requestIds.length);
    }
    // The attempts cut off mid-create kept their slots, and their next deliveries resumed them (no
    // second reservation): `received` above is the retry.
    await expectExactlyOnePodEach(system, requestIds);
  });

  it('throttling or unavailable (429, 503): the API server took no create, so each attempt gives its slot back', async () => {
    const requestIds = await queue(system, builds(200, 4));
    for (const status of [429, 503] as const) {
      proxy.clearRules();
      proxy.addRule({
        method: 'POST',
        path: /\/pods$/,
        fault: { kind: 'status', status, retryAfterSeconds: 1 },
      });
      expect(await system.pollOnce()).toEqual({ received: 4, failed: 4 });
      const records = await Promise.all(requestIds.map((id) => system.requests.get(id)));
      expect(records.map((record) => [status, record?.status, record?.holdsSlot])).toEqual(
        requestIds.map(() => [status, 'queued', false]),
      );
      await sleep(1200); // SQS's visibility timeout here: the messages come back
    }
    proxy.clearRules();
    await system.provisionAll();
    const all = await podsByRequest(system);
    for (const requestId of requestIds)
      expect({ requestId, pods: all.get(requestId) }).toEqual({ requestId, pods: 1 });
  });

  it('slow: a pod the API server creates after the client gave up waiting is adopted by the retry, not doubled', async () => {
    const requestIds = await queue(system, builds(100, 6));
    // Every pod creation takes 2.5 s: longer than the client's 1.5 s timeout, but the server still does it.
    proxy.addRule({ method: 'POST', path: /\/pods$/, fault: { kind: 'delay', delayMs: 2500 }, times: 6 });
    const first = await system.pollOnce(1);
    expect(first.failed).toBeGreaterThan(0);
    proxy.clearRules();
    await sleep(3000);
    await system.provisionAll();
    const all = await podsByRequest(system);
    for (const requestId of requestIds)
      expect({ requestId, pods: all.get(requestId) }).toEqual({ requestId, pods: 1 });
    const records = await Promise.all(requestIds.map((id) => system.requests.get(id)));
    expect(records.map((record) => record?.status)).toEqual(requestIds.map(() => 'provisioned'));
    const counters = await createCapacityStore(system.db, system.resources.tableName).readCounters();
    expect(counters.global).toBe(15 + 4 + requestIds.length);
  });

  it('slow, at a cap: an attempt whose create timed out keeps its slot, so the next build waits and no pod runs beside the cap', async () => {
    proxy.addRule({ method: 'POST', path: /\/pods$/, fault: { kind: 'delay', delayMs: 2500 }, times: 1 });
    const tightPods = async (): Promise<number> =>
      (await system.listPods()).filter(
        (pod) =>
          pod.metadata?.labels?.['pitcrew.dev/template'] === 'gen-tight' && !pod.metadata.deletionTimestamp,
      ).length;
    const send = async (id: number): Promise<string> => {
      const delivery = deliveryFor({ source: 'generic', id }, 'queued', { labels: ['tight'] });
      const answer = await system.sendWebhook(delivery.source, delivery.body, delivery.headers);
      return String(answer.body.requestId);
    };
    // The first build's create times out; the server makes its pod later. Given back, its slot would
    // go to the second build while the CI could start the first on that late pod (bug 33).
    const first = await send(300);
    expect(await system.pollOnce(1)).toEqual({ received: 1, failed: 1 });
    expect(await system.requests.get(first)).toMatchObject({ status: 'provisioning', holdsSlot: true });
    const second = await send(301);
    expect(await system.pollOnce(1)).toEqual({ received: 1, failed: 0 });
    expect(await system.requests.get(second)).toMatchObject({ status: 'waiting', holdsSlot: false });
    await sleep(3000);
    expect(await tightPods()).toBe(1);
    // The first build's message comes back, and its attempt adopts the late pod.
    await system.provisionAll();
    expect(await system.requests.get(first)).toMatchObject({ status: 'provisioned', holdsSlot: true });
    expect(await system.requests.get(second)).toMatchObject({ status: 'waiting' });
    await system.reapNow();
    expect(await tightPods()).toBe(1);
  });
});
