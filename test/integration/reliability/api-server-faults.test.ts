import { podNameFor } from '../../../shared/requests/identity';
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
 * give slots back while it waits, lose nothing, and end with exactly one pod per build.
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
    await system?.close();
    await proxy?.close();
  });

  it('down, then throttling, then failing: retried with backoff, slots given back meanwhile, one pod per build in the end', async () => {
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
      proxy.calls.filter((call) => call.method === 'POST' && /\/pods(\?|$)/.test(call.path)).length;
    while (posted() < 3) await sleep(10);
    const samples: { phase: string; holders: number; pods: number; queuedWithoutSlot: number }[] = [];
    for (const phase of phases) {
      proxy.clearRules();
      proxy.addRule({ fault: phase.fault });
      await sleep(phase.forMs);
      // While the API server is unusable, only builds whose pod exists may keep a slot.
      samples.push(
        await whileIdle(async () => {
          const counters = await createCapacityStore(system.db, system.resources.tableName).readCounters();
          const pods = [...(await podsByRequest(system)).values()].reduce((sum, count) => sum + count, 0);
          const records = await Promise.all(requestIds.map((id) => system.requests.get(id)));
          const queuedWithoutSlot = records.filter((r) => r?.status === 'queued' && !r.holdsSlot).length;
          return { phase: phase.fault.kind, holders: counters.global, pods, queuedWithoutSlot };
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
      expect({ ...sample, holders: sample.pods }).toEqual(sample);
      expect(sample.holders + sample.queuedWithoutSlot).toBe(requestIds.length);
    }
    // Attempts that failed for the API server are taken back: each build's agent is its first, and
    // keeps its first name (bug 57), so a pod made after the client gave up is adopted.
    const retried = await Promise.all(requestIds.map((id) => system.requests.get(id)));
    expect(retried.map((record) => record?.attempts)).toEqual(requestIds.map(() => 1));
    expect(retried.map((record) => record?.podName)).toEqual(
      retried.map((record) => podNameFor(record?.template ?? '?', record?.requestId ?? '?')),
    );
    await expectExactlyOnePodEach(system, requestIds);
  });

  it('slow: a pod the API server creates after the client gave up waiting is adopted by the retry, not doubled', async () => {
    const requestIds = await queue(system, builds(100, 6));
    // Every pod creation takes 2.5 s: longer than the client's 1.5 s timeout, but the server still does it.
    proxy.addRule({
      method: 'POST',
      path: /\/pods(\?|$)/,
      fault: { kind: 'delay', delayMs: 2500 },
      times: 6,
    });
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
    expect(counters.global).toBe(15 + requestIds.length);
  });

  it('slow, at a cap: the late pod of a build that must wait for a slot is removed, so the cap holds', async () => {
    proxy.addRule({
      method: 'POST',
      path: /\/pods(\?|$)/,
      fault: { kind: 'delay', delayMs: 2500 },
      times: 2,
    });
    // One after the other, each build's first attempt times out and gives its slot back; the server
    // makes both pods later. Then one build gets the only slot and the other must wait.
    const requestIds: string[] = [];
    for (const id of [300, 301]) {
      const delivery = deliveryFor({ source: 'generic', id }, 'queued', { labels: ['tight'] });
      const answer = await system.sendWebhook(delivery.source, delivery.body, delivery.headers);
      requestIds.push(String(answer.body.requestId));
      expect(await system.pollOnce(1)).toEqual({ received: 1, failed: 1 });
    }
    await sleep(3000);
    await system.provisionAll();
    const tightPods = async (): Promise<number> =>
      (await system.listPods()).filter(
        (pod) =>
          pod.metadata?.labels?.['pitcrew.dev/template'] === 'gen-tight' && !pod.metadata.deletionTimestamp,
      ).length;
    const records = await Promise.all(requestIds.map((id) => system.requests.get(id)));
    expect(records.map((record) => record?.status).sort()).toEqual(['provisioned', 'waiting']);
    expect(await tightPods()).toBe(2);
    await sleep(1000);
    await system.reapNow();
    expect(await tightPods()).toBe(1);
  });
});
