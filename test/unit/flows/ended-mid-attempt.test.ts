import { OpsConflictError, runOpsAction } from '../../../shared/ops';
import { provisionRequest, RetryLaterError, type ProvisionPorts } from '../../../shared/provision';
import { CiRejectedError } from '../../../shared/sources/errors';
import { reap } from '../../../shared/reap';
import { podNameFor } from '../../../shared/requests/identity';
import { receiveWebhook } from '../../../shared/webhook';
import {
  attemptSeconds,
  createTwins,
  genericDelivery,
  genericRequestId,
  livePodWatch,
  livePods,
  queuedBuild,
  slots,
  slowCi,
  type Twins,
  waitingBuild2,
} from './twins';

/**
 * The CI ends a build while its attempt is still making the agent, before any pod (bug 39). Giving
 * its slot back at once would wake the waiting build into it while the attempt goes on to make a
 * runnable agent (pod and Secret): two agents against a cap of 1 until the attempt removes its own.
 * The ended build's message and the reaper leave the build to that attempt while its time runs.
 */
describe('an ended build whose attempt is still making its agent', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  it('keeps the live agents within the cap: the attempt finishes the build, then the waiting one runs', async () => {
    // build-1 takes gen's only slot (its attempt stalls in the CI call); build-2 waits.
    expect(await receiveWebhook(genericDelivery(twins, 'queued', 'build-1'), twins.webhook)).toMatchObject({
      kind: 'accepted',
    });
    const first = genericRequestId('build-1');
    const ci = slowCi(twins);
    const live = livePodWatch(twins);
    const watching = live.watching(ci.ports);
    const attempt = provisionRequest(first, watching);
    await ci.atCi;
    const second = await waitingBuild2(twins);

    // build-1 is cancelled: its message and the reaper both leave it to the attempt in flight.
    expect(await receiveWebhook(genericDelivery(twins, 'cancelled', 'build-1'), twins.webhook)).toMatchObject(
      {
        kind: 'recorded',
        status: 'ending',
      },
    );
    await expect(provisionRequest(first, twins.provision)).rejects.toThrow(RetryLaterError);
    expect(await provisionRequest(first, twins.provision, true)).toMatchObject({ kind: 'skipped' });
    expect(await reap(twins.reap)).toMatchObject({ woken: 0, errors: 0 });
    expect(await twins.state.requests.get(first)).toMatchObject({ status: 'ending', holdsSlot: true });
    expect(twins.queue.sentIds()).not.toContain(second);
    twins.queue.clear();

    // The attempt comes back, makes its pod, finds the build ended and finishes it: the slot goes
    // to build-2 only once that pod is gone.
    ci.release();
    expect(await attempt).toMatchObject({ kind: 'skipped' });
    expect(await twins.state.requests.get(first)).toMatchObject({ status: 'cancelled', holdsSlot: false });
    expect(twins.queue.sentIds()).toEqual([second]);
    expect(await provisionRequest(second, twins.provision)).toMatchObject({ kind: 'provisioned' });
    expect(livePods(twins)).toEqual([podNameFor('gen', second)]);
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
    expect(live.mostLive()).toBeLessThanOrEqual(1);
  });

  it('finishes at once a build the CI started before its attempt recorded the pod, once that attempt is done', async () => {
    expect(await receiveWebhook(genericDelivery(twins, 'queued', 'build-1'), twins.webhook)).toMatchObject({
      kind: 'accepted',
    });
    const first = genericRequestId('build-1');
    const ci = slowCi(twins);
    const attempt = provisionRequest(first, ci.ports);
    await ci.atCi;
    // The CI says the build started (our agent took it) before the attempt recorded its pod.
    expect(await receiveWebhook(genericDelivery(twins, 'started', 'build-1'), twins.webhook)).toMatchObject({
      status: 'started',
    });
    ci.release();
    expect(await attempt).toMatchObject({ kind: 'skipped' });
    expect(livePods(twins)).toEqual([podNameFor('gen', first)]);
    // The build ends within what was the attempt's time: its message need not wait it out.
    expect(await receiveWebhook(genericDelivery(twins, 'completed', 'build-1'), twins.webhook)).toMatchObject(
      {
        status: 'ending',
      },
    );
    expect(await provisionRequest(first, twins.provision)).toEqual({ kind: 'ended', status: 'completed' });
    expect(livePods(twins)).toEqual([]);
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
  });

  it('finishes a build whose attempt died, once its time is out: by the message or by the reaper', async () => {
    expect(await receiveWebhook(genericDelivery(twins, 'queued', 'build-1'), twins.webhook)).toMatchObject({
      kind: 'accepted',
    });
    const first = genericRequestId('build-1');
    const ci = slowCi(twins);
    void provisionRequest(first, ci.ports); // never released: the attempt died in the CI call
    await ci.atCi;
    expect(await receiveWebhook(genericDelivery(twins, 'cancelled', 'build-1'), twins.webhook)).toMatchObject(
      {
        status: 'ending',
      },
    );
    twins.clock.advance(attemptSeconds + 1);
    expect(await reap(twins.reap)).toMatchObject({ errors: 0 });
    expect(await twins.state.requests.get(first)).toMatchObject({ status: 'cancelled', holdsSlot: false });
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
    expect(livePods(twins)).toEqual([]);
  });
});

/**
 * The CI ends a build while its attempt runs, and the attempt then fails for good: a permanent
 * refusal (as GitLab answers for a job cancelled meanwhile), or a passing failure on the message's
 * last delivery. The request ends as the CI said, not `failed`, which ops `retry` and `redrive`
 * would queue again (bug 40).
 */
describe('an ended build whose attempt then fails for good', () => {
  let twins: Twins;
  let requestId: string;
  beforeEach(async () => {
    twins = createTwins();
    expect(await receiveWebhook(genericDelivery(twins, 'queued', 'build-1'), twins.webhook)).toMatchObject({
      kind: 'accepted',
    });
    twins.queue.clear();
    requestId = genericRequestId('build-1');
  });

  const cancel = async (): Promise<void> => {
    expect(await receiveWebhook(genericDelivery(twins, 'cancelled', 'build-1'), twins.webhook)).toMatchObject(
      {
        kind: 'recorded',
        status: 'ending',
      },
    );
  };

  const expectEndedAsTheCiSaid = async (): Promise<void> => {
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'cancelled',
      holdsSlot: false,
    });
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
    expect(livePods(twins)).toEqual([]);
    await expect(runOpsAction({ action: 'retry', requestId }, twins.ops)).rejects.toBeInstanceOf(
      OpsConflictError,
    );
  };

  it('a permanent refusal from the CI', async () => {
    const ci = slowCi(twins);
    const refusing: ProvisionPorts = {
      ...ci.ports,
      sources: {
        generic: {
          ...ci.ports.sources.generic!,
          adapter: {
            ...ci.ports.sources.generic!.adapter,
            async createAgentCredentials(request) {
              await ci.ports.sources.generic!.adapter.createAgentCredentials(request);
              throw new CiRejectedError('job 1 is canceled, no longer pending: it needs no runner');
            },
          },
        },
      },
    };
    const attempt = provisionRequest(requestId, refusing);
    await ci.atCi;
    await cancel();
    ci.release();
    expect(await attempt).toEqual({ kind: 'ended', status: 'cancelled' });
    await expectEndedAsTheCiSaid();
  });

  it('a passing failure on the last delivery', async () => {
    const ci = slowCi(twins);
    const attempt = provisionRequest(requestId, ci.ports, true);
    await ci.atCi;
    await cancel();
    twins.agents.failNext(1, 503);
    ci.release();
    expect(await attempt).toEqual({ kind: 'ended', status: 'cancelled' });
    await expectEndedAsTheCiSaid();
  });

  it('a passing failure before its pod: the attempt finishes the build, and the waiting build gets the slot', async () => {
    const ci = slowCi(twins);
    const attempt = provisionRequest(requestId, ci.ports);
    await ci.atCi;
    const second = await waitingBuild2(twins);
    await cancel();
    // Its message steps aside for the attempt in flight (bug 39); the attempt's pod create then fails for now.
    await expect(provisionRequest(requestId, twins.provision)).rejects.toThrow(RetryLaterError);
    twins.queue.clear();
    twins.agents.failNext(1, 503);
    ci.release();
    expect(await attempt).toEqual({ kind: 'ended', status: 'cancelled' });
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'cancelled',
      holdsSlot: false,
    });
    expect(twins.queue.sentIds()).toEqual([second]);
    expect(livePods(twins)).toEqual([]);
  });
});

/**
 * An operator cancels a build while its attempt is still making the agent (bug 45, as bug 39 was for
 * the CI): giving the slot back at once would wake the waiting build into it while the attempt goes
 * on to make a runnable agent. The cancel leaves the build `ending` to that attempt, which removes its
 * agent and ends it `cancelled` with the operator's reason; the reaper does if the attempt dies.
 */
describe("an operator's cancel while the attempt is still making the agent", () => {
  let twins: Twins;
  let first: string;
  beforeEach(async () => {
    twins = createTwins();
    first = await queuedBuild(twins, 'build-1');
  });

  const cancelByOperator = async () =>
    expect(await runOpsAction({ action: 'cancel', requestId: first, confirm: true }, twins.ops)).toEqual({
      action: 'cancel',
      requestId: first,
      status: 'ending',
      freedSlot: false,
      woken: 0,
    });

  const expectCancelledByTheOperator = async () =>
    expect(await twins.state.requests.get(first)).toMatchObject({
      status: 'cancelled',
      holdsSlot: false,
      reason: 'cancelled by an operator',
    });

  it('keeps the live agents within the cap: the attempt removes its agent, then the waiting build runs', async () => {
    const ci = slowCi(twins);
    const { watching, mostLive } = livePodWatch(twins);
    const attempt = provisionRequest(first, watching(ci.ports));
    await ci.atCi;
    const second = await waitingBuild2(twins);

    await cancelByOperator();
    expect(await twins.state.requests.get(first)).toMatchObject({ status: 'ending', holdsSlot: true });
    expect(twins.queue.sentIds()).not.toContain(second);
    // Its slot is still taken: the waiting build, given a go (a reaper's wake, say), waits on.
    expect(await provisionRequest(second, watching(twins.provision))).toMatchObject({ kind: 'waiting' });
    twins.queue.clear();
    // A second cancel says the same: the build is already on its way out.
    await cancelByOperator();

    ci.release();
    expect(await attempt).toMatchObject({ kind: 'skipped' });
    await expectCancelledByTheOperator();
    expect(ci.deregistered).toHaveLength(1);
    // The second cancel's own message (for an attempt that ends before it sees the mark), and the
    // woken build's.
    expect(twins.queue.sentIds()).toEqual([first, second]);
    expect(await provisionRequest(second, watching(twins.provision))).toMatchObject({ kind: 'provisioned' });
    expect(livePods(twins)).toEqual([podNameFor('gen', second)]);
    expect(mostLive()).toBeLessThanOrEqual(1);
  });

  it('is finished by the reaper once a dead attempt is out of time', async () => {
    const ci = slowCi(twins);
    void provisionRequest(first, ci.ports); // never released: the attempt died in the CI call
    await ci.atCi;
    await cancelByOperator();
    expect(await reap(twins.reap)).toMatchObject({ errors: 0 });
    expect(await twins.state.requests.get(first)).toMatchObject({ status: 'ending', holdsSlot: true });
    twins.clock.advance(attemptSeconds + 1);
    expect(await reap(twins.reap)).toMatchObject({ errors: 0 });
    await expectCancelledByTheOperator();
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
  });

  it('stands when the CI ends the build meanwhile', async () => {
    const ci = slowCi(twins);
    const attempt = provisionRequest(first, ci.ports);
    await ci.atCi;
    await cancelByOperator();
    expect(await receiveWebhook(genericDelivery(twins, 'completed', 'build-1'), twins.webhook)).toMatchObject(
      {
        status: 'ending',
      },
    );
    ci.release();
    expect(await attempt).toMatchObject({ kind: 'skipped' });
    await expectCancelledByTheOperator();
  });
});
