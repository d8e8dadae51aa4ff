/**
 * An operator's cancel while an attempt is making the request's agent is marked `ending` and left to
 * that attempt, its message or the reaper (bug 45). A review of that fix found where the operator's
 * intent, or the promptness of the cancel before it, was lost on that road: an agent already running
 * the build was kept (its CI said busy), the CI's end event then ended the build `completed`, a
 * cancel whose attempt had just ended waited for the reaper, and a record marked `ending` with an
 * earlier reason ended with that reason. The cancel now sets `endReason`: its agent goes busy or
 * not, the CI's word does not replace it, and the request ends with it.
 */
import { runOpsAction, type OpsPorts } from '../../../shared/ops';
import { provisionRequest, type ProvisionPorts } from '../../../shared/provision';
import { reap, type ReapPorts } from '../../../shared/reap';
import { podNameFor } from '../../../shared/requests/identity';
import { CiAgentBusyError } from '../../../shared/sources/errors';
import { receiveWebhook } from '../../../shared/webhook';
import {
  attemptSeconds,
  createTwins,
  genericDelivery,
  genericRequestId,
  livePods,
  slots,
  slowCi,
  type Twins,
  queuedBuild,
} from './twins';

/** Provision ports whose write recording the pod stalls until `release` (a slow or throttled write). */
function stalledAtRecord(ports: ProvisionPorts): {
  ports: ProvisionPorts;
  atRecord: Promise<void>;
  release: () => void;
} {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let reached: () => void = () => undefined;
  const atRecord = new Promise<void>((resolve) => (reached = resolve));
  const requests: ProvisionPorts['requests'] = {
    ...ports.requests,
    transition: async (...args: Parameters<ProvisionPorts['requests']['transition']>) => {
      if (args[2] === 'provisioned') {
        reached();
        await gate;
      }
      return ports.requests.transition(...args);
    },
  };
  return { ports: { ...ports, requests }, atRecord, release: () => release() };
}

/**
 * Ports of `P` whose generic CI tells whether an agent runs a build, as Jenkins's adapter does, and
 * refuses to remove a busy one unless told `evenIfBusy`, as GitHub's and GitLab's do.
 */
function withBusyCheck<P extends ProvisionPorts | ReapPorts | OpsPorts>(ports: P, busy: () => boolean): P {
  const generic = ports.sources.generic;
  if (!generic) throw new Error('no generic CI');
  return {
    ...ports,
    sources: {
      ...ports.sources,
      generic: {
        ...generic,
        adapter: {
          ...generic.adapter,
          isAgentBusy: () => Promise.resolve(busy()),
          async deregisterAgent(request) {
            if (busy() && !request.evenIfBusy) throw new CiAgentBusyError('the agent runs a job');
            return generic.adapter.deregisterAgent(request);
          },
        },
      },
    },
  };
}

describe('an operator cancel of an agent already running the build (a CI that says whether an agent is busy)', () => {
  let twins: Twins;
  let first: string;
  let busy: boolean;
  beforeEach(async () => {
    twins = createTwins();
    first = await queuedBuild(twins, 'build-1');
    busy = false;
  });

  /**
   * The attempt made the pod; its write recording it is slow. Meanwhile the agent connected and took
   * the build, and the CI said so (`start` from `provisioning`: attemptUntilMs stays set).
   */
  async function startedBeforeRecord() {
    const stalled = stalledAtRecord(withBusyCheck(twins.provision, () => busy));
    const attempt = provisionRequest(first, stalled.ports);
    await stalled.atRecord;
    expect(livePods(twins)).toEqual([podNameFor('gen', first)]);
    busy = true;
    expect(await receiveWebhook(genericDelivery(twins, 'started', 'build-1'), twins.webhook)).toMatchObject({
      status: 'started',
    });
    return { attempt, release: stalled.release };
  }

  it('stops the agent the operator cancelled, as the cancel did before (evenIfBusy)', async () => {
    const { attempt, release } = await startedBeforeRecord();
    expect(
      await runOpsAction({ action: 'cancel', requestId: first, confirm: true }, twins.ops),
    ).toMatchObject({
      status: 'ending',
    });
    release();
    // The attempt finds the request ending and removes its agent, busy or not, as a cancel always did.
    expect(await attempt).toMatchObject({ kind: 'skipped' });
    expect(livePods(twins)).toEqual([]);
    expect(await twins.state.requests.get(first)).toMatchObject({
      status: 'cancelled',
      holdsSlot: false,
      reason: 'cancelled by an operator',
    });
  });

  it('ends the build cancelled, not as the CI then says, and the reaper takes a busy agent of a dead attempt', async () => {
    // Its write is never let through: the attempt died there.
    await startedBeforeRecord();
    expect(
      await runOpsAction({ action: 'cancel', requestId: first, confirm: true }, twins.ops),
    ).toMatchObject({
      status: 'ending',
    });
    // The CI says the build completed: the operator's cancel stands.
    expect(await receiveWebhook(genericDelivery(twins, 'completed', 'build-1'), twins.webhook)).toMatchObject(
      {
        status: 'ending',
      },
    );
    expect(await twins.state.requests.get(first)).toMatchObject({ endAs: 'cancelled' });
    // Once the dead attempt's time is out, the reaper removes the busy agent (a Jenkins agent's
    // `ended` rule would wait for it to be idle: its decision says delete).
    twins.clock.advance(attemptSeconds + 1);
    const reapPorts = withBusyCheck(twins.reap, () => busy);
    expect(await reap(reapPorts)).toMatchObject({ errors: 0 });
    expect(livePods(twins)).toEqual([]);
    expect(await twins.state.requests.get(first)).toMatchObject({
      status: 'cancelled',
      reason: 'cancelled by an operator',
    });
  });

  it('with no attempt in flight, deletes the busy agent at once', async () => {
    const { attempt, release } = await startedBeforeRecord();
    release();
    await attempt; // abandonAgent: started, holds its slot -> endAttempt
    expect(
      await runOpsAction({ action: 'cancel', requestId: first, confirm: true }, twins.ops),
    ).toMatchObject({
      status: 'cancelled',
      freedSlot: true,
    });
    expect(livePods(twins)).toEqual([]);
  });
});

describe('an operator cancel whose attempt ends between its read and its mark', () => {
  it('finishes without waiting for the reaper when the attempt ended between the read and the mark', async () => {
    const twins = createTwins();
    const first = await queuedBuild(twins, 'build-1');
    const ci = slowCi(twins);
    const attempt = provisionRequest(first, ci.ports);
    await ci.atCi;
    // The CI says the build started before the attempt recorded its pod: `started`, attemptUntilMs set.
    expect(await receiveWebhook(genericDelivery(twins, 'started', 'build-1'), twins.webhook)).toMatchObject({
      status: 'started',
    });
    // The operator's cancel reads the record; before its write, the attempt comes back, finds the
    // request moved on with its slot (started), ends its attempt and returns.
    let raced = false;
    const ops: OpsPorts = {
      ...twins.ops,
      requests: {
        ...twins.ops.requests,
        get: async (id) => {
          const read = await twins.ops.requests.get(id);
          if (!raced) {
            raced = true;
            ci.release();
            expect(await attempt).toMatchObject({ kind: 'skipped' });
          }
          return read;
        },
      },
    };
    twins.queue.clear();
    expect(await runOpsAction({ action: 'cancel', requestId: first, confirm: true }, ops)).toMatchObject({
      status: 'ending',
    });
    // No attempt is left to find it `ending`: the cancel's own message finishes it, not the reaper's next run.
    for (const id of twins.queue.sentIds()) await provisionRequest(id, twins.provision);
    expect(await twins.state.requests.get(first)).toMatchObject({ status: 'cancelled', holdsSlot: false });
    expect(livePods(twins)).toEqual([]);
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
  });
});

describe('the reason an operator-cancelled or CI-ended build ends with', () => {
  it('a dead attempt that made its pod: the reaper ends the cancel with the operator reason, unprefixed', async () => {
    const twins = createTwins();
    expect(await receiveWebhook(genericDelivery(twins, 'queued', 'build-1'), twins.webhook)).toMatchObject({
      kind: 'accepted',
    });
    const first = genericRequestId('build-1');
    let reached: () => void = () => undefined;
    const atRecord = new Promise<void>((resolve) => (reached = resolve));
    const requests: ProvisionPorts['requests'] = {
      ...twins.provision.requests,
      transition: async (...args: Parameters<ProvisionPorts['requests']['transition']>) => {
        if (args[2] === 'provisioned') {
          reached();
          await new Promise<never>(() => undefined); // dies before recording its pod
        }
        return twins.provision.requests.transition(...args);
      },
    };
    void provisionRequest(first, { ...twins.provision, requests });
    await atRecord;
    expect(livePods(twins)).toEqual([podNameFor('gen', first)]);
    expect(
      await runOpsAction({ action: 'cancel', requestId: first, confirm: true }, twins.ops),
    ).toMatchObject({
      status: 'ending',
    });
    twins.clock.advance(attemptSeconds + 1);
    expect(await reap(twins.reap)).toMatchObject({ errors: 0 });
    expect(livePods(twins)).toEqual([]);
    expect(await twins.state.requests.get(first)).toMatchObject({
      status: 'cancelled',
      holdsSlot: false,
      reason: 'cancelled by an operator',
    });
  });

  it('an ending record the CI marked ends with its word, not a reason left from before', async () => {
    const twins = createTwins();
    for (const job of ['build-1', 'build-2']) {
      expect(await receiveWebhook(genericDelivery(twins, 'queued', job), twins.webhook)).toMatchObject({
        kind: 'accepted',
      });
      twins.clock.advance(1);
    }
    const [first, second] = [genericRequestId('build-1'), genericRequestId('build-2')];
    twins.queue.clear();
    expect(await provisionRequest(first, twins.provision)).toMatchObject({ kind: 'provisioned' });
    expect(await provisionRequest(second, twins.provision)).toMatchObject({ kind: 'waiting' });
    // build-1 ends: its slot goes to build-2, woken with reason 'capacity freed'.
    expect(await receiveWebhook(genericDelivery(twins, 'completed', 'build-1'), twins.webhook)).toMatchObject(
      {
        status: 'ending',
      },
    );
    expect(await provisionRequest(first, twins.provision)).toMatchObject({ kind: 'ended' });
    const ci = slowCi(twins);
    const attempt = provisionRequest(second, ci.ports);
    await ci.atCi;
    expect(await twins.state.requests.get(second)).toMatchObject({
      status: 'provisioning',
      reason: 'capacity freed',
    });
    // The CI's end event marks it while its attempt makes the agent.
    expect(
      await twins.state.requests.transition(second, ['provisioning'], 'ending', { endAs: 'completed' }),
    ).toBeDefined();
    ci.release();
    await attempt;
    expect(await twins.state.requests.get(second)).toMatchObject({
      status: 'completed',
      reason: 'the CI completed the build',
    });
  });
});
