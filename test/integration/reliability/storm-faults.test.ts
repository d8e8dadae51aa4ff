import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SqsHandler } from '../../../infra/local/dev/sqs-poller';
import { reap, type ReapPorts, type ReapReport } from '../../../shared/reap';
import type { RequestStatus } from '../../../shared/requests';
import { createCapacityStore } from '../../../shared/state';
import { deliveryFor, requestIdOf, type BuildAction } from '../../../infra/local/stand-ins/builds';
import { startAwsFaultProxy, type AwsFaultProxy } from '../../../infra/local/stand-ins/aws-fault-proxy';
import { reapPortsFor } from '../../support/system-ports';
import { requiredTestEnv } from '../../support/env';
import { importHandler } from '../../support/handlers';
import { waitForPod } from '../../support/kube';
import { steerPod } from '../../../infra/local/kube/steer';
import { lambdaContext } from '../../../infra/local/stand-ins/lambda';
import { startProvisioningSystem, type ProvisioningSystem } from '../../support/provisioning';
import {
  brokenPromises,
  ciSizeStormFaultRates,
  runStorm,
  startStormFaults,
  type StormFaults,
  type StormReport,
} from '../../../infra/local/stand-ins/storm';
import { ciSizeStorm, stormSystemOf } from '../../support/storm-system';

/**
 * The CI-size storm of storm.test.ts with the infrastructure failing under it for its whole length
 * (`npm run bench:storm -- --faults` at full size): the API server throttling, failing and dropping
 * connections in bursts; DynamoDB throttling, failing and losing answers; SQS delivering messages
 * again early; a provision container dying at each crash point; a reaper frozen past its lease and
 * thawed; each CI's API failing for a while. Every decision is seeded (the seed is printed).
 */
const caps = ciSizeStorm.caps;
const seed = Number(process.env.PITCREW_STORM_SEED ?? 7);

describe('a storm of CI traffic with the infrastructure failing under it', () => {
  let faults: StormFaults;
  let system: ProvisioningSystem;
  let report: StormReport;

  beforeAll(async () => {
    faults = await startStormFaults(
      {
        dynamoDbEndpoint: requiredTestEnv('dynamoDbEndpoint'),
        sqsEndpoint: requiredTestEnv('sqsEndpoint'),
        kubeconfigPath: requiredTestEnv('kubeconfig'),
      },
      seed,
      ciSizeStormFaultRates,
    );
    system = await startProvisioningSystem({
      ...ciSizeStorm.system,
      visibilityTimeoutSeconds: faults.rates.sqs.visibilityTimeoutSeconds,
      dynamoDbEndpoint: faults.dynamoDbEndpoint,
      sqsEndpoint: faults.sqsEndpoint,
      clusterCredentials: faults.clusterCredentials,
    });
    // One after the other: each import is a cold start with a module registry of its own, and two
    // at once could link one handler's modules across two registries (two copies of an error class).
    const provisioners: SqsHandler[] = [];
    for (let n = 0; n < 3; n++)
      provisioners.push((await importHandler('provision', system.env)).handler as unknown as SqsHandler);
    const reapers: (() => Promise<ReapReport>)[] = [];
    for (let n = 0; n < 2; n++) {
      const handler = (await importHandler('reap', system.env)).handler;
      reapers.push(() => handler({}, lambdaContext('reap')) as Promise<ReapReport>);
    }
    const lines: string[] = [];
    report = await runStorm(await stormSystemOf(system, { provisioners, reapers, caps, faults }), {
      builds: 90,
      seed,
      maxRunMs: 800,
      reapEveryMs: 700,
      deadlineMs: 240_000,
      log: (line) => lines.push(line),
    });
    process.stderr.write(
      `[storm-faults] seed ${seed}: ${(report.durationMs / 1000).toFixed(1)} s, faults ${JSON.stringify(report.faults)}\n`,
    );
    if (process.env.PITCREW_STORM_LOG)
      process.stderr.write(`${lines.join('\n')}\n${JSON.stringify(report, null, 1)}\n`);
  }, 300_000);
  afterAll(async () => {
    await system?.close();
    await faults?.close();
  });

  it('keeps every promise: settled, each build run once, no extra pod, none left, never over a cap', () => {
    expect(brokenPromises(report)).toEqual([]);
    expect(report.ranOnce).toBe(report.plans.run);
    expect(report.maxLivePods).toBeLessThanOrEqual(caps.global);
  });

  it('left no agent registered at the CIs, and the slots equal the live agents', () => {
    expect(report.strayAgents).toEqual([]);
    expect(report.countersAtEnd.global).toBe(report.liveAgentsAtEnd);
  });

  it('the dead-letter queue holds only messages whose request says why', () => {
    expect(report.deadLetters.filter((letter) => !letter.saysWhy)).toEqual([]);
  });

  it('every kind of fault was injected, and Pitcrew met it', () => {
    // Each kind of the API server, DynamoDB and SQS; the others by what fails, summed: in a storm of
    // 40 s a crash point or a CI's outage can fall where no call of its kind comes (the full-size
    // run, docs/reliability.md, meets every kind). The function's timeout is not injected on purpose.
    const met: Record<string, number> = {};
    for (const [kind, count] of Object.entries(report.faults)) {
      if (kind.includes('timeout')) continue;
      // Each CI's API outage (`<ci> API: 503, 429, 500 for a while`) counts as one kind: the CIs'.
      const what = kind.startsWith('provision attempt killed')
        ? 'provision attempt killed'
        : / API: 503, 429, 500 for a while/.test(kind)
          ? 'CI API'
          : kind;
      met[what] = (met[what] ?? 0) + Math.min(count.injected, count.met);
    }
    expect(Object.keys(met)).toHaveLength(10);
    expect(Object.entries(met).filter(([, count]) => count === 0)).toEqual([]);
  });
});

/**
 * What the faulted storm found, each on its own: the storm showed the slot counter above the global
 * cap (14 of 12) after the reaper's counter repairs.
 */
describe('the reaper counts the slots while requests move between states (found by the faulted storm)', () => {
  let system: ProvisioningSystem;
  // A template of cap 1 for each test, so that one's counter never decides for the other.
  const templates = ['gen-a', 'gen-b', 'gen-c'];
  beforeAll(async () => {
    system = await startProvisioningSystem({
      templates: templates.map((name) => ({
        name,
        source: 'generic',
        labels: [name],
        image: 'busybox:1.36',
        instanceCap: 1,
      })),
    });
  });
  afterAll(() => system.close());

  /** Sends one of a build's webhooks, for the template of that name, signed. */
  async function send(template: string, id: number, action: BuildAction): Promise<void> {
    const delivery = deliveryFor({ source: 'generic', id }, action, { labels: [template] });
    const answer = await system.sendWebhook(delivery.source, delivery.body, delivery.headers);
    expect(answer.statusCode).toBeLessThan(300);
  }

  /**
   * The reaper's ports, with one request moving on while it lists the states: right before it lists
   * `then`, once it has listed `first` (or after a second, if it lists `then` first).
   */
  function movingWhileListed(
    first: RequestStatus,
    then: RequestStatus,
    move: () => Promise<void>,
  ): ReapPorts {
    const real = reapPortsFor(system);
    let listedFirst: () => void = () => undefined;
    const firstListed = new Promise<void>((resolve) => (listedFirst = resolve));
    let moved = false;
    return {
      ...real,
      requests: {
        ...real.requests,
        async listByStatus(status, limit) {
          if (status === then && !moved) {
            await Promise.race([firstListed, sleep(1000)]);
            moved = true;
            await move();
          }
          const list = await real.requests.listByStatus(status, limit);
          if (status === first) listedFirst();
          return list;
        },
      },
    };
  }

  /** A template's counter, and how many of the builds `ids` hold a slot. */
  async function slots(template: string, ids: number[]): Promise<{ counter: number; holding: number }> {
    const counters = await createCapacityStore(system.db, system.resources.tableName).readCounters();
    const records = await Promise.all(
      ids.map((id) => system.requests.get(requestIdOf({ source: 'generic', id }, system.jenkins.url))),
    );
    return {
      counter: counters.templates[template] ?? 0,
      holding: records.filter((r) => r?.holdsSlot).length,
    };
  }

  it('a request read in two states is one slot, not two', async () => {
    await send('gen-a', 1, 'queued');
    await system.provisionAll();
    expect(await slots('gen-a', [1])).toEqual({ counter: 1, holding: 1 });
    // Listed as provisioned, then the CI ends the build and it is listed as ending too; the run
    // then removes its agent and gives its slot back.
    await reap(movingWhileListed('provisioned', 'ending', () => send('gen-a', 1, 'completed')));
    expect(await slots('gen-a', [1])).toEqual({ counter: 0, holding: 0 });
  });

  it('a request that moves on while the states are read is not missed, so its slot is not given away', async () => {
    await send('gen-b', 2, 'queued');
    await system.provisionAll();
    expect(await slots('gen-b', [2])).toEqual({ counter: 1, holding: 1 });
    // Not yet started when the started ones are listed, started when the provisioned ones are.
    await reap(movingWhileListed('started', 'provisioned', () => send('gen-b', 2, 'started')));
    await send('gen-b', 3, 'queued');
    await system.provisionAll();
    // The cap is 1: the second build waits for the slot the first still holds.
    const second = await system.requests.get(requestIdOf({ source: 'generic', id: 3 }, system.jenkins.url));
    expect(second).toMatchObject({ status: 'waiting' });
    expect(await slots('gen-b', [2, 3])).toEqual({ counter: 1, holding: 1 });
    const live = (await system.listPods()).filter(
      (pod) => pod.metadata?.labels?.['pitcrew.dev/template'] === 'gen-b' && !pod.metadata.deletionTimestamp,
    );
    expect(live).toHaveLength(1);
  });

  it('a slot given back and another taken while the states are read is not a counter to repair', async () => {
    await send('gen-c', 4, 'queued');
    await system.provisionAll();
    await send('gen-c', 5, 'queued');
    await system.provisionAll();
    expect(await slots('gen-c', [4, 5])).toEqual({ counter: 1, holding: 1 });
    // Build 4 is read as provisioned; then it ends (its slot given back, build 5 woken into it) and
    // build 5 starts, and is read as started. The counter reads 1 before and after: it moved twice.
    await reap(
      movingWhileListed('provisioned', 'started', async () => {
        await send('gen-c', 4, 'completed');
        await system.provisionAll();
        await system.provisionAll();
        await send('gen-c', 5, 'started');
      }),
    );
    expect(await slots('gen-c', [4, 5])).toEqual({ counter: 1, holding: 1 });
  });
});

/**
 * What the faulted storm found: GitHub runners left registered after their builds ended, because
 * the reaper removed the last thing that pointed at them (the pod, or the request's slot) although
 * the CI had failed to deregister them.
 */
describe('the reaper keeps what points at a CI agent until the CI has removed it (found by the faulted storm)', () => {
  let system: ProvisioningSystem;
  beforeAll(async () => {
    system = await startProvisioningSystem({
      reaper: { orphanGraceSeconds: 0, stuckGraceSeconds: 60, lostGraceSeconds: 0, staleQueuedSeconds: 60 },
    });
  });
  afterAll(() => system.close());

  async function provisioned(id: number): Promise<{ requestId: string; podName: string }> {
    const delivery = deliveryFor({ source: 'github', id }, 'queued');
    expect((await system.sendWebhook(delivery.source, delivery.body, delivery.headers)).statusCode).toBe(202);
    await system.provisionAll();
    const requestId = requestIdOf({ source: 'github', id }, system.jenkins.url);
    const record = await system.requests.get(requestId);
    expect(record).toMatchObject({ status: 'provisioned' });
    return { requestId, podName: record!.podName! };
  }

  const runners = (podName: string): number =>
    system.github.state.runners.filter((runner) => runner.name === podName).length;
  const podGone = async (podName: string): Promise<void> => {
    while ((await system.listPods()).some((pod) => pod.metadata?.name === podName)) await sleep(100);
  };

  it('a finished agent pod stays until its runner is deregistered', async () => {
    const { requestId, podName } = await provisioned(501);
    await steerPod(system.core, system.namespace, podName, { outcome: 'succeeded' });
    await waitForPod(system.core, system.namespace, podName, (pod) => pod.status?.phase === 'Succeeded');
    system.github.failFor(60_000, { status: 503, body: { message: 'Server Error' } });
    await system.reapNow();
    system.github.clearFailures();
    expect(runners(podName)).toBe(1);
    await system.reapNow();
    await podGone(podName);
    expect({ runners: runners(podName), request: (await system.requests.get(requestId))?.status }).toEqual({
      runners: 0,
      request: 'completed',
    });
  });

  it('an ended build keeps its slot, after its pod is gone, until its runner is deregistered', async () => {
    const { requestId, podName } = await provisioned(502);
    const done = deliveryFor({ source: 'github', id: 502 }, 'completed');
    await system.sendWebhook(done.source, done.body, done.headers);
    // The reaper, not the provision function, removes the agent (its message is dropped).
    await system.sqs.send(new PurgeQueueCommand({ QueueUrl: system.resources.queueUrl }));
    system.github.failFor(60_000, { status: 503, body: { message: 'Server Error' } });
    await system.reapNow();
    await podGone(podName);
    await system.reapNow();
    system.github.clearFailures();
    expect(runners(podName)).toBe(1);
    await system.reapNow();
    expect({ runners: runners(podName), request: await system.requests.get(requestId) }).toMatchObject({
      runners: 0,
      request: { status: 'completed', holdsSlot: false },
    });
  });
});

/**
 * What the faulted storm found: writes applied but answered with an error (a lost answer), whose
 * SDK retry then found its own write and took it for someone else's. A lease write so answered
 * skipped the run and locked every reaper out for the lease's 110 s; a wake so answered sent no
 * message, and the woken build sat queued until the reaper's stale rule (15 min by default).
 */
describe('writes that hand work on, applied but answered with an error (found by the faulted storm)', () => {
  let proxy: AwsFaultProxy;
  let system: ProvisioningSystem;
  beforeAll(async () => {
    proxy = await startAwsFaultProxy(requiredTestEnv('dynamoDbEndpoint'));
    system = await startProvisioningSystem({
      dynamoDbEndpoint: proxy.endpoint,
      templates: [
        { name: 'gen-one', source: 'generic', labels: ['one'], image: 'busybox:1.36', instanceCap: 1 },
      ],
    });
  });
  afterAll(async () => {
    await system?.close();
    await proxy?.close();
  });
  afterEach(() => proxy.clearRules());

  it('the reaper lease: the run goes ahead, and the next one is not locked out', async () => {
    proxy.addRule({ operation: 'PutItem', body: /"lease"/, fault: 'lost-answer', times: 1 });
    const first = await system.reapNow();
    expect(proxy.faultCounts()['lost-answer']).toBe(1);
    const second = await system.reapNow();
    expect({ first: first.skipped, second: second.skipped }).toEqual({ first: undefined, second: undefined });
  });

  it('a wake: the woken build gets its message, and its agent, at once', async () => {
    const send = async (id: number, action: BuildAction): Promise<void> => {
      const delivery = deliveryFor({ source: 'generic', id }, action, { labels: ['one'] });
      const answer = await system.sendWebhook(delivery.source, delivery.body, delivery.headers);
      expect(answer.statusCode).toBeLessThan(300);
    };
    const status = async (id: number): Promise<string | undefined> =>
      (await system.requests.get(requestIdOf({ source: 'generic', id }, system.jenkins.url)))?.status;
    await send(11, 'queued');
    await system.provisionAll();
    await send(12, 'queued');
    await system.provisionAll();
    expect([await status(11), await status(12)]).toEqual(['provisioned', 'waiting']);
    // The first build ends: its agent goes, and the waiting one is woken into its slot.
    const lostBefore = proxy.faultCounts()['lost-answer'];
    proxy.addRule({ operation: 'UpdateItem', body: /capacity freed/, fault: 'lost-answer', times: 1 });
    await send(11, 'completed');
    await system.provisionAll();
    await system.provisionAll();
    expect(proxy.faultCounts()['lost-answer'] - lostBefore).toBe(1);
    expect([await status(11), await status(12)]).toEqual(['completed', 'provisioned']);
  });
});
