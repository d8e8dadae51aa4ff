import { setTimeout as sleep } from 'node:timers/promises';
import { createCapacityStore } from '../../../shared/state';
import { startAwsFaultProxy, type AwsFaultProxy } from '../../../infra/local/stand-ins/aws-fault-proxy';
import { seededRandom } from '../../../infra/local/stand-ins/seeded-random';
import { deliveryFor, requestIdOf, type Build } from '../../../infra/local/stand-ins/builds';
import { requiredTestEnv } from '../../support/env';
import { startProvisioningSystem, type ProvisioningSystem } from '../../support/provisioning';

/**
 * DynamoDB throttles (400 ProvisionedThroughputExceededException), fails (500 InternalServerError), or
 * applies a write and loses the answer, through a proxy in front of DynamoDB Local. The SDK retries
 * (3 attempts); what still fails reaches Pitcrew. No build may be lost, none provisioned twice, and
 * no slot may leak.
 */
const builds = (first: number, count: number): Build[] =>
  Array.from({ length: count }, (_, index) => ({
    source: (['generic', 'jenkins', 'github'] as const)[index % 3]!,
    id: first + index,
  }));

/** Sends a delivery as a CI does: again (same delivery id) after every 5xx, up to `tries` times. */
async function deliverWithRetries(
  system: ProvisioningSystem,
  build: Build,
  tries = 12,
): Promise<{ statusCode: number; attempts: number }> {
  const delivery = deliveryFor(build, 'queued');
  for (let attempt = 1; ; attempt++) {
    const answer = await system.sendWebhook(delivery.source, delivery.body, delivery.headers);
    if (answer.statusCode < 500 || attempt >= tries)
      return { statusCode: answer.statusCode, attempts: attempt };
    expect(answer.statusCode).toBe(503);
  }
}

async function expectOnePodEach(system: ProvisioningSystem, requestIds: readonly string[]): Promise<void> {
  const pods = await system.listPods();
  for (const requestId of requestIds) {
    const mine = pods.filter((pod) => pod.metadata?.labels?.['pitcrew.dev/request-id'] === requestId);
    const record = await system.requests.get(requestId);
    expect({ requestId, pods: mine.length, status: record?.status, holdsSlot: record?.holdsSlot }).toEqual({
      requestId,
      pods: 1,
      status: 'provisioned',
      holdsSlot: true,
    });
  }
  expect(pods).toHaveLength(requestIds.length);
}

describe('DynamoDB throttling and errors', () => {
  let proxy: AwsFaultProxy;
  let system: ProvisioningSystem;
  beforeAll(async () => {
    // Seeded, so that a run's faults can be drawn again (the calls' order still varies with timing).
    proxy = await startAwsFaultProxy(requiredTestEnv('dynamoDbEndpoint'), {
      random: seededRandom(7, 'dynamodb-faults'),
    });
    system = await startProvisioningSystem({
      dynamoDbEndpoint: proxy.endpoint,
      // Past an attempt's hold (the provision timeout, 30 s): see the random-faults test below.
      reaper: { staleQueuedSeconds: 35 },
    });
  });
  afterAll(async () => {
    await system?.close();
    await proxy?.close();
  });
  afterEach(() => proxy.clearRules());

  it('a webhook whose record cannot be written is answered 503, and the CI retrying the same delivery gets its build in', async () => {
    const build: Build = { source: 'generic', id: 1 };
    // The request's conditional put fails (past the SDK's retries), and so does tidying up after it.
    proxy.addRule({ operation: 'PutItem', body: /"request#/, fault: 'throttle' });
    proxy.addRule({ operation: 'DeleteItem', fault: 'internal' });
    const delivery = deliveryFor(build, 'queued');
    const first = await system.sendWebhook(delivery.source, delivery.body, delivery.headers);
    expect(first).toMatchObject({ statusCode: 503, body: { error: expect.stringContaining('retry') } });
    proxy.clearRules();
    const retry = await system.sendWebhook(delivery.source, delivery.body, delivery.headers);
    expect(retry).toMatchObject({ statusCode: 202, body: { status: 'accepted' } });
    await system.provisionAll();
    await expectOnePodEach(system, [requestIdOf(build, system.jenkins.url)]);
  });

  it('a delivery marker written although DynamoDB answered 500 does not turn the build into a "duplicate"', async () => {
    const build: Build = { source: 'jenkins', id: 2 };
    proxy.addRule({ operation: 'PutItem', body: /"delivery#/, fault: 'lost-answer', times: 1 });
    const answer = (await deliverWithRetries(system, build)).statusCode;
    expect(answer).toBe(202);
    await system.provisionAll();
    await expectOnePodEach(
      system,
      [1, 2].map((id) => requestIdOf({ source: id === 1 ? 'generic' : 'jenkins', id }, system.jenkins.url)),
    );
  });

  it('under random throttling, errors and lost answers on every call, every build is provisioned exactly once and no slot leaks', async () => {
    const list = builds(100, 15);
    proxy.addRule({ fault: 'throttle', probability: 0.25 });
    proxy.addRule({ fault: 'internal', probability: 0.1 });
    proxy.addRule({
      operation: /PutItem|UpdateItem|TransactWriteItems/,
      fault: 'lost-answer',
      probability: 0.05,
    });
    const answers = await Promise.all(list.map((build) => deliverWithRetries(system, build)));
    // 202, or 200 "already queued; its message was sent again" when the record's write was applied
    // but answered with an error: either way the build is in, as the end of this test checks.
    expect(answers.filter((answer) => answer.statusCode !== 202 && answer.statusCode !== 200)).toEqual([]);
    // A reservation applied but answered with errors past the SDK's retries (a lost answer, then
    // throttling) holds its request for the provision timeout (30 s), as an attempt that may still
    // run. SQS redelivers after 180 s on AWS, past the hold; here after 1 s, so the message's five
    // receives end before the hold does, the last lets it go, and the request is left to the reaper,
    // as a lost message is: its rule for a request provisioning without a pod past
    // staleQueuedSeconds gives the slot back and queues it again. So the loop runs the reaper too
    // (under the same faults; a run that fails is tried again on the next turn). A request unlucky
    // n times waits for that rule n times (n × 35 s): the loop allows for four, as the calls' order,
    // and so which request draws which fault, varies with the machine's load (a full run once needed
    // three). A run with no such luck ends in about 20 s.
    const deadline = Date.now() + 4 * 35_000 + 30_000;
    while (Date.now() < deadline) {
      await system.provisionAll();
      const records = await Promise.all(
        list.map((build) => system.requests.get(requestIdOf(build, system.jenkins.url))),
      );
      if (records.every((record) => record?.status === 'provisioned')) break;
      await system.reapNow().catch(() => undefined);
      await sleep(500);
    }
    const faults = proxy.faultCounts();
    proxy.clearRules();
    // Enough faults to matter: about a third of all calls (batches read and reserve together, so
    // 15 builds make fewer calls than they would one by one; the share, not the count, is fixed).
    const injected = faults.throttle + faults.internal + faults['lost-answer'];
    expect(injected).toBeGreaterThan(15);
    expect(injected / proxy.calls.length).toBeGreaterThan(0.2);
    const ids = [...list.map((build) => requestIdOf(build, system.jenkins.url))];
    const everything = [
      requestIdOf({ source: 'generic', id: 1 }, system.jenkins.url),
      requestIdOf({ source: 'jenkins', id: 2 }, system.jenkins.url),
      ...ids,
    ];
    await expectOnePodEach(system, everything);
    const counters = await createCapacityStore(system.db, system.resources.tableName).readCounters();
    expect(counters.global).toBe(everything.length);
    // The reaper, on a healthy table, finds nothing to repair: no counter drifted.
    const report = await system.reapNow();
    expect(report).toMatchObject({ counterRepairs: 0, errors: 0, lost: 0 });
  }, 240_000);
});
