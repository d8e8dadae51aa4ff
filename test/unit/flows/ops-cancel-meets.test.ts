/**
 * An operator's cancel meeting the reaper, the CI's end and a new agent of the same request (a review
 * of bugs 63 and 64):
 *
 * - While the cancel's CI call runs, the request is `ending` with its slot. A reaper run that read it
 *   before the mark released it into its own verdict (`failed`: too-old, a failed exit ...), which
 *   `retry` queues again; it now leaves a request marked `ending` since its read to that request's
 *   own finish (bug 70).
 * - A cancel whose release missed answered `cancelled` whatever the request became: it now reads
 *   again, answers what the CI ended it as, and removes an agent made since its read.
 */
import { OpsConflictError, runOpsAction } from '../../../shared/ops';
import { provisionRequest } from '../../../shared/provision';
import { reap } from '../../../shared/reap';
import { podNameFor } from '../../../shared/requests/identity';
import { receiveWebhook } from '../../../shared/webhook';
import type { AgentRequest } from '../../../shared/sources/types';
import {
  createTwins,
  genericDelivery,
  livePods,
  opsAfterRead,
  queuedBuild,
  runPod,
  slots,
  withAdapterCalls,
  type Twins,
} from './twins';

/** Ops ports whose CI removal call stops until `open` is called; `atCi` resolves once it is inside. */
function opsStoppingAtCi(twins: Twins) {
  let reached: () => void = () => undefined;
  const atCi = new Promise<void>((resolve) => (reached = resolve));
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const ops = withAdapterCalls(twins.ops, (real) => ({
    async deregisterAgent(agent: AgentRequest) {
      reached();
      await gate;
      return real.deregisterAgent(agent);
    },
  }));
  return { ops, atCi, open: () => open() };
}

describe('an operator cancel while the reaper ends the same request', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  it('stays cancelled (not failed, which retry would queue again) and answers what the request became', async () => {
    const requestId = await queuedBuild(twins, 'build-1');
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'provisioned' });
    const podName = podNameFor('gen', requestId);
    runPod(twins, podName);
    twins.queue.clear();
    // Past the template's maximum lifetime (4 h by default): the reaper's too-old rule fails it.
    twins.clock.advance(4 * 3600 + 60);

    const cancelling = opsStoppingAtCi(twins);
    let answer: Promise<unknown> | undefined;
    const reapPorts = withAdapterCalls(twins.reap, (real) => ({
      async deregisterAgent(agent: AgentRequest) {
        // The reaper has read the request (provisioned) and decided; the operator cancels now,
        // and the cancel is in its CI call when the reaper settles.
        if (!answer) {
          answer = runOpsAction({ action: 'cancel', requestId, confirm: true }, cancelling.ops);
          await cancelling.atCi;
        }
        return real.deregisterAgent(agent);
      },
    }));

    await reap(reapPorts);
    cancelling.open();
    const answered = await answer;
    const record = await twins.state.requests.get(requestId);

    // Nothing leaked either way.
    expect(livePods(twins)).toEqual([]);
    expect(await slots(twins)).toMatchObject({ global: 0 });
    // The operator's cancel stands: before bug 70's fix the reaper's release took the request from
    // `ending` to `failed` ("too-old: ..."), with no `ciEnded`, so ops `retry` queued it again.
    expect(record).toMatchObject({ status: 'cancelled' });
    // And the answer says what the request is.
    expect(answered).toMatchObject({ status: record?.status });
  });
});

describe('an operator cancel of a build the CI ended, finished by its message meanwhile', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  it('does not answer `cancelled` for a request that ended `completed`', async () => {
    const requestId = await queuedBuild(twins, 'build-1');
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'provisioned' });
    // The CI says the build completed: `ending` (endAs completed), its message sent.
    expect(await receiveWebhook(genericDelivery(twins, 'completed', 'build-1'), twins.webhook)).toMatchObject(
      {
        kind: 'recorded',
        status: 'ending',
      },
    );

    // Right after the cancel's read, the webhook's message finishes the build.
    const ops = opsAfterRead(twins, requestId, async () => {
      expect(await provisionRequest(requestId, twins.provision)).toMatchObject({
        kind: 'ended',
        status: 'completed',
      });
    });

    const outcome = await runOpsAction({ action: 'cancel', requestId, confirm: true }, ops).then(
      (answer) => answer,
      (error: unknown) => error,
    );
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'completed' });
    // The operator is told the CI's verdict stood.
    expect(outcome).toBeInstanceOf(OpsConflictError);
    expect(String(outcome)).toMatch(/ended completed while cancelling it/);
  });
});

describe('an operator cancel whose read is a previous agent of the request', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  it('does not answer `cancelled` and leave the request `ending` with its new agent running', async () => {
    const requestId = await queuedBuild(twins, 'build-1');
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'provisioned' });
    const first = podNameFor('gen', requestId);
    twins.queue.clear();

    // Between the cancel's read and its mark: the pod vanished, the reaper's lost rule gave the build
    // another go, and the next attempt made and recorded its second agent.
    const ops = opsAfterRead(twins, requestId, async () => {
      await twins.agents.deletePod(twins.namespace, first);
      twins.clock.advance(61);
      expect(await reap(twins.reap)).toMatchObject({ lost: 1, retried: 1 });
      expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'provisioned' });
      expect(livePods(twins)).toEqual([podNameFor('gen', requestId, 2)]);
    });

    const answer = await runOpsAction({ action: 'cancel', requestId, confirm: true }, ops);
    const record = await twins.state.requests.get(requestId);
    // The mark applies (on the state read, `provisioned`), the first agent's removal finds it gone,
    // and the release misses (the request names the second): the cancel reads again and removes the
    // second agent too, then gives the slot back.
    expect(answer).toMatchObject({ status: 'cancelled', freedSlot: true });
    expect(record).toMatchObject({ status: 'cancelled', holdsSlot: false });
    expect(livePods(twins)).toEqual([]);
  });
});
