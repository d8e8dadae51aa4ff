/**
 * Operators' actions racing the provision function and the CI (a review of the ops actions,
 * 2026-12-06): each write that decides repeats the decision its read made, as a condition.
 *
 * - `cancel` gave the slot back when its read found no attempt in time, though a redelivery may have
 *   taken over the dead attempt since: that attempt made its agent beside the woken build's, past the
 *   cap (bug 63). Its mark of `ending` is now conditional on no attempt holding the request.
 * - `cancel` gave the slot back before removing the agent: a build woken into it made its pod while
 *   the cancelled one still ran (bug 64). The slot now goes last, from `ending`.
 * - `retry` and `redrive` queued a failed build the CI ended between their read and their write: an
 *   agent for a build no end event would close (bug 65). The write is now conditional on `ciEnded`
 *   absent.
 */
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { OpsConflictError, runOpsAction, type OpsPorts } from '../../../shared/ops';
import { provisionRequest } from '../../../shared/provision';
import { podNameFor } from '../../../shared/requests/identity';
import { receiveWebhook } from '../../../shared/webhook';
import {
  attemptSeconds,
  createTwins,
  genericDelivery,
  livePodWatch,
  livePods,
  namedCi,
  opsAfterRead,
  queuedBuild,
  recordQueued,
  slots,
  slowCi,
  withAdapterCalls,
  type Twins,
  waitingBuild2,
} from './twins';

describe('ops cancel racing a provision attempt that takes over a dead one', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  it('never frees the slot while an attempt is making the agent (cap 1: at most one live agent)', async () => {
    const first = await queuedBuild(twins, 'build-1');
    // The first attempt dies inside its CI call: provisioning, slot held, its time then runs out.
    const dead = slowCi(twins);
    void provisionRequest(first, dead.ports);
    await dead.atCi;

    const second = await waitingBuild2(twins);
    twins.clock.advance(attemptSeconds + 1);

    const { watching, mostLive } = livePodWatch(twins);

    // SQS delivers build-1's message again: this attempt claims the request (resume) and is in its CI
    // call when the cancel writes.
    const resumed = slowCi(twins);
    let attempt: Promise<unknown> | undefined;
    const ops = opsAfterRead(twins, first, async (record) => {
      // The cancel has read: no attempt in time (the dead one's ran out).
      expect((record?.attemptUntilMs ?? 0) <= twins.clock.ms()).toBe(true);
      attempt = provisionRequest(first, watching(resumed.ports));
      await resumed.atCi;
    });

    const answer = await runOpsAction({ action: 'cancel', requestId: first, confirm: true }, ops);
    // Whoever was woken runs now (on the current code the cancel gave the slot back and woke build-2).
    if (twins.queue.sentIds().includes(second)) await provisionRequest(second, watching(twins.provision));
    // The resumed attempt's CI answers: it makes its pod.
    resumed.release();
    await attempt;

    // The cap of 'gen' is 1: never two live agents.
    expect(mostLive()).toBeLessThanOrEqual(1);
    // The resumed attempt held the request: the cancel should have left it to that attempt (`ending`,
    // slot kept), as it does when it reads the attempt in time.
    expect(answer).toMatchObject({ status: 'ending', freedSlot: false, woken: 0 });
    expect(livePods(twins)).not.toContain(podNameFor('gen', first));
  });
});

describe('ops cancel of a running agent', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  it('keeps the live agents within the cap while it removes the agent', async () => {
    const first = await recordQueued(twins, 'build-1');
    expect(await provisionRequest(first, twins.provision)).toMatchObject({ kind: 'provisioned' });
    twins.clock.advance(1);
    // A new build comes in; its message is handled while the cancel waits on the CI.
    const second = await recordQueued(twins, 'build-2');

    let mostLive = 0;
    const ops = withAdapterCalls(twins.ops, (real) => ({
      async deregisterAgent(agent) {
        // The CI takes its time answering; provisioning goes on meanwhile.
        await provisionRequest(second, twins.provision);
        mostLive = Math.max(mostLive, livePods(twins).length);
        return real.deregisterAgent(agent);
      },
    }));

    await runOpsAction({ action: 'cancel', requestId: first, confirm: true }, ops);
    // The cap of 'gen' is 1: build-1's pod was still live when build-2's was made.
    expect(mostLive).toBeLessThanOrEqual(1);
    expect(livePods(twins)).not.toContain(podNameFor('gen', first));
  });
});

/** A build whose last delivery failed for now: `failed`, its message (in a real system) in the DLQ. */
async function failedBuild(twins: Twins, jobId: string): Promise<string> {
  const requestId = await queuedBuild(twins, jobId);
  twins.agents.failNext(1, 503);
  await expect(provisionRequest(requestId, twins.provision, true)).rejects.toThrow();
  expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'failed' });
  expect((await twins.state.requests.get(requestId))?.ciEnded).toBeUndefined();
  twins.queue.clear();
  return requestId;
}

/** Ops ports whose first read of `requestId` is followed by the CI's end event for `jobId`. */
function endedRightAfterTheRead(twins: Twins, requestId: string, jobId: string): OpsPorts {
  return opsAfterRead(twins, requestId, async () => {
    expect(await receiveWebhook(genericDelivery(twins, 'cancelled', jobId), twins.webhook)).toMatchObject({
      kind: 'recorded',
    });
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'failed',
      ciEnded: 'cancelled',
    });
  });
}

describe('ops cancel with its CI down', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  it('keeps the slot until the agent is gone: the request stays ending, and its message finishes it', async () => {
    const ci = namedCi(twins);
    const requestId = await recordQueued(twins, 'build-1');
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'provisioned' });
    const podName = podNameFor('gen', requestId);
    twins.queue.clear();
    ci.state.down = true;

    const ops: OpsPorts = { ...twins.ops, sources: ci.provision.sources };
    expect(await runOpsAction({ action: 'cancel', requestId, confirm: true }, ops)).toMatchObject({
      status: 'ending',
      agent: 'kept',
      freedSlot: false,
      woken: 0,
    });
    // The pod goes (it must not run on), the agent is still listed, and the slot stays with it.
    expect(livePods(twins)).toEqual([]);
    expect(ci.registered.has(podName)).toBe(true);
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'ending', endAs: 'cancelled' });
    expect(twins.queue.sentIds()).toEqual([requestId]);

    // Its message, once the CI is back: the agent goes, then the slot.
    ci.state.down = false;
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({
      kind: 'ended',
      status: 'cancelled',
    });
    expect(ci.registered.has(podName)).toBe(false);
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
  });
});

describe('an operator queueing a failed build again while the CI ends it', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  it('retry: makes no agent for a build the CI ended between its read and its write', async () => {
    const requestId = await failedBuild(twins, 'build-1');
    const ops = endedRightAfterTheRead(twins, requestId, 'build-1');

    // The write misses: the request is not queued again, and the operator is told.
    await expect(runOpsAction({ action: 'retry', requestId }, ops)).rejects.toThrow(OpsConflictError);
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'failed',
      ciEnded: 'cancelled',
    });
    // Every message the request has (the webhook's removal message) is delivered.
    for (let i = 0; i < 3; i++) await provisionRequest(requestId, twins.provision).catch(() => undefined);

    expect(livePods(twins)).toEqual([]);
  });

  it('redrive: makes no agent for a build the CI ended between its read and its write', async () => {
    const requestId = await failedBuild(twins, 'build-2');
    const sqs = new SQSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
    });
    const mock = mockClient(sqs);
    mock.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '0' } });
    mock
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1', Body: JSON.stringify({ requestId }) }],
      })
      .resolves({ Messages: [] });
    mock.on(DeleteMessageCommand).resolves({});
    const ops = { ...endedRightAfterTheRead(twins, requestId, 'build-2'), sqs };

    const report = await runOpsAction({ action: 'redrive', confirm: true }, ops);
    for (let i = 0; i < 3; i++) await provisionRequest(requestId, twins.provision).catch(() => undefined);

    expect(livePods(twins)).toEqual([]);
    expect(await twins.state.requests.get(requestId)).not.toMatchObject({ status: 'provisioned' });
    // Nothing was queued again: the report should not count it as redriven.
    expect(report).toMatchObject({ redriven: 0 });
  });
});
