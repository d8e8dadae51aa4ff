/**
 * An ended request's message, and the reaper's delete of an ended request's pod, against the agent a
 * failing attempt left registered (bug 60), as the third review of its fix found them: a duplicate
 * of an ordinary build's message must cost nothing more; the reaper's message must remove the agent
 * on its first delivery; and a pod the reaper first lists after the orphan grace must get one too.
 */
import { provisionRequest, RetryLaterError } from '../../../shared/provision';
import { reap } from '../../../shared/reap';
import { podNameFor } from '../../../shared/requests/identity';
import { receiveWebhook } from '../../../shared/webhook';
import { runOpsAction } from '../../../shared/ops';
import { CiAgentBusyError } from '../../../shared/sources/errors';
import { StateUnavailableError } from '../../../shared/state/errors';
import type { AgentRequest } from '../../../shared/sources/types';
import {
  attemptSeconds,
  createTwins,
  genericDelivery,
  lateCreate,
  livePods,
  namedCi,
  queuedBuild,
  slots,
  withAdapterCalls,
  type Twins,
} from './twins';

const running = (twins: Twins, podName: string): void =>
  twins.agents.setStatus(twins.namespace, podName, { phase: 'Running', startTime: twins.clock.now() });

describe('the agent an ended request names (bug 60)', () => {
  // An ordinary build's late or duplicate message (SQS delivers at least once; a Jenkins retire
  // message processed after the end): its request ended by way of `ending`, whose agent went first.
  it('a duplicate message of an ordinary ended build, its pod terminating, is done at once with no second CI call', async () => {
    const twins = createTwins(undefined, { terminatingMs: 30_000 });
    const ci = namedCi(twins);
    const requestId = await queuedBuild(twins, 'b1');
    const pod = podNameFor('gen', requestId);
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'provisioned' });
    running(twins, pod);
    await receiveWebhook(genericDelivery(twins, 'started', 'b1'), twins.webhook);
    await receiveWebhook(genericDelivery(twins, 'completed', 'b1'), twins.webhook);
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'ended' });
    expect(ci.removals).toEqual([pod]);
    twins.clock.advance(2);
    // The same message again, two seconds later (its pod still terminating).
    let retried = false;
    try {
      await provisionRequest(requestId, ci.provision);
    } catch (error) {
      retried = error instanceof RetryLaterError;
      twins.clock.advance(180); // SQS's visibility timeout
      await provisionRequest(requestId, ci.provision);
    }
    expect({ retried, removals: ci.removals }).toEqual({ retried: false, removals: [pod] });
  });

  // The reaper sends the message right after its own delete: the pod is still terminating then.
  it("the reaper's message for a pod it just deleted removes the agent on its first delivery", async () => {
    const twins = createTwins(undefined, { terminatingMs: 30_000 });
    const ci = namedCi(twins);
    const requestId = await queuedBuild(twins, 'b2');
    const pod = podNameFor('gen', requestId);
    // The last delivery's create times out, yet the API server makes the pod; the CI then goes down.
    await expect(provisionRequest(requestId, lateCreate(twins, ci), true)).rejects.toBeInstanceOf(
      RetryLaterError,
    );
    running(twins, pod);
    twins.queue.clear();
    twins.clock.advance(30);
    await reap(ci.reapPorts);
    expect(twins.queue.sentIds()).toEqual([requestId]);
    // Sent once: the next run finds the pod terminating and keeps it.
    twins.clock.advance(5);
    await reap(ci.reapPorts);
    expect(twins.queue.sentIds()).toEqual([requestId]);
    ci.state.down = false;
    twins.clock.advance(1);
    await expect(provisionRequest(requestId, ci.provision)).resolves.toMatchObject({ kind: 'skipped' });
    expect([...ci.registered]).toEqual([]);
  });

  // The reaper reads an ended request only for a young pod (endedRequestOf); a reaper that could not
  // list pods for two minutes (the outage that timed out the create) first lists it older.
  it('a late pod first listed after the orphan grace, deleted while the CI is down, still gets the message', async () => {
    const twins = createTwins();
    const ci = namedCi(twins);
    const requestId = await queuedBuild(twins, 'b3');
    const pod = podNameFor('gen', requestId);
    await expect(provisionRequest(requestId, lateCreate(twins, ci), true)).rejects.toBeInstanceOf(
      RetryLaterError,
    );
    expect([...ci.registered]).toEqual([pod]);
    running(twins, pod);
    twins.queue.clear();
    twins.clock.advance(150); // the reaper's runs failed to list pods meanwhile
    await reap(ci.reapPorts);
    expect(livePods(twins)).toEqual([]);
    ci.state.down = false;
    expect({ sent: twins.queue.sentIds(), registered: [...ci.registered] }).toEqual({
      sent: [requestId],
      registered: [pod],
    });
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'skipped' });
    expect([...ci.registered]).toEqual([]);
  });
  // Found by the fourth review. A CI that, like GitLab, still says a killed runner runs its job (until
  // the job's timeout) and refuses its removal unless told evenIfBusy (GitLab deletes it then: `force`).
  it('a retry delivery after the pod is gone removes an agent the CI still calls busy', async () => {
    const twins = createTwins(undefined, { terminatingMs: 30_000 });
    const ci = namedCi(twins);
    const busy = new Set<string>();
    const adapter = ci.provision.sources.generic!.adapter as {
      deregisterAgent: (a: AgentRequest & { evenIfBusy?: boolean }) => Promise<void>;
    };
    const plain = adapter.deregisterAgent.bind(adapter);
    adapter.deregisterAgent = async (agent) => {
      if (!ci.state.down && busy.has(agent.agentName) && !agent.evenIfBusy)
        throw new CiAgentBusyError(`runner ${agent.agentName} runs a job`);
      return plain(agent);
    };
    const requestId = await queuedBuild(twins, 'g1');
    const pod = podNameFor('gen', requestId);
    await expect(provisionRequest(requestId, lateCreate(twins, ci), true)).rejects.toBeInstanceOf(
      RetryLaterError,
    );
    running(twins, pod);
    busy.add(pod); // the late pod's runner took a pending job of its project
    twins.queue.clear();
    twins.clock.advance(30);
    await reap(ci.reapPorts); // the CI down: the running pod goes anyway, the message is sent
    expect(twins.queue.sentIds()).toEqual([requestId]);
    // First delivery: the CI still down.
    await expect(provisionRequest(requestId, ci.provision)).rejects.toBeInstanceOf(RetryLaterError);
    twins.clock.advance(180); // SQS's visibility timeout: the pod is gone now
    expect(twins.agents.pod(twins.namespace, pod)).toBeUndefined();
    ci.state.down = false;
    await expect(provisionRequest(requestId, ci.provision)).resolves.toMatchObject({ kind: 'skipped' });
    // No pod runs it, so nothing ever will: removed even though the CI calls it busy.
    expect([...ci.registered]).toEqual([]);
  });

  it('an operator’s cancel while the CI is down answers kept, and sends the message that removes it', async () => {
    const twins = createTwins();
    const ci = namedCi(twins, { failOnce: true });
    const requestId = await queuedBuild(twins, 'g3');
    ci.state.down = true;
    await expect(provisionRequest(requestId, ci.provision)).rejects.toBeInstanceOf(RetryLaterError);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'queued', holdsSlot: false });
    twins.queue.clear();
    expect(
      await runOpsAction(
        { action: 'cancel', requestId, confirm: true },
        { ...twins.ops, sources: ci.provision.sources },
      ),
    ).toMatchObject({
      status: 'cancelled',
      agent: 'kept',
    });
    expect(twins.queue.sentIds()).toEqual([requestId]);
    ci.state.down = false;
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'skipped' });
    expect([...ci.registered]).toEqual([]);
  });
});

/**
 * A resumed attempt (its request's earlier attempt died after its CI registered the agent) that
 * fails for now, with its CI down for the agent's removal too: it gave the slot back without taking
 * its count back (a resumed agent's name is not given again: bug 57), so the next reserve named a
 * new agent and nothing pointed at this one any more. The faulted storm left such agents at GitHub
 * and Jenkins (2026-12-06 11:36, bug 71). Such an agent now gets a message of its own, naming it,
 * which removes it once the CI answers; the slot goes back as before (a build the CI starts
 * elsewhere meanwhile is left alone: bug 41).
 */
describe('a resumed attempt that fails with its CI down for the removal too (bug 71)', () => {
  /**
   * Build b1's first attempt registers its agent (`first`) at the CI and its container dies there; its
   * message comes again, and the resumed attempt has the CI register the agent, fail for now, and go
   * down: the agent is left, and the request queued with its slot given back.
   */
  async function leftAgent() {
    const twins = createTwins();
    const ci = namedCi(twins);
    const requestId = await queuedBuild(twins, 'b1');
    const first = podNameFor('gen', requestId);
    const dying = withAdapterCalls(ci.provision, (real) => ({
      async createAgentCredentials(request: AgentRequest) {
        await real.createAgentCredentials(request);
        return new Promise<never>(() => undefined);
      },
    }));
    void provisionRequest(requestId, dying);
    for (let i = 0; i < 20 && !ci.registered.has(first); i++) await new Promise((done) => setImmediate(done));
    expect(ci.registered.has(first)).toBe(true);
    twins.clock.advance(attemptSeconds + 1);
    ci.state.failOnce = true;
    ci.state.down = true;
    twins.queue.clear();
    await expect(provisionRequest(requestId, ci.provision)).rejects.toThrow(RetryLaterError);
    return { twins, ci, requestId, first };
  }

  it('sends a message naming the agent, which removes it once the CI answers, and the build runs on a new agent', async () => {
    const { twins, ci, requestId, first } = await leftAgent();
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'queued', holdsSlot: false });
    expect(twins.queue.whole).toContainEqual({ requestId, agent: first });

    // Delivered while the CI is still down: SQS delivers it again.
    await expect(provisionRequest(requestId, ci.provision, false, { agent: first })).rejects.toThrow(
      RetryLaterError,
    );
    expect(ci.registered.has(first)).toBe(true);
    ci.state.down = false;
    expect(await provisionRequest(requestId, ci.provision, false, { agent: first })).toMatchObject({
      kind: 'skipped',
    });
    expect(ci.registered.has(first)).toBe(false);

    // The build's own message: a new agent, which goes when the build ends.
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'provisioned' });
    expect(livePods(twins)).toEqual([podNameFor('gen', requestId, 2)]);
    await receiveWebhook(genericDelivery(twins, 'completed', 'b1'), twins.webhook);
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'ended' });
    expect([...ci.registered]).toEqual([]);
  });

  it('leaves a build the CI started elsewhere meanwhile started, with no slot and no second agent (bug 41)', async () => {
    const { twins, ci, requestId, first } = await leftAgent();
    // The CI hands the build to another agent (its webhooks still flow), then comes back.
    await receiveWebhook(genericDelivery(twins, 'started', 'b1'), twins.webhook);
    ci.state.down = false;
    for (const message of [...twins.queue.whole])
      await provisionRequest(message.requestId, ci.provision, false, message).catch(() => undefined);
    twins.clock.advance(120);
    await reap(ci.reapPorts);
    expect(livePods(twins)).toEqual([]);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'started', retriesUsed: 0 });
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
    expect(ci.registered.has(first)).toBe(false);
  });

  it('refuses a message naming an agent its request never had, or its current one while it is active', async () => {
    const twins = createTwins();
    const ci = namedCi(twins);
    const requestId = await queuedBuild(twins, 'b1');
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'provisioned' });
    const current = podNameFor('gen', requestId);
    for (const agent of [current, podNameFor('gen', requestId, 2), 'pc-gen-0123456789']) {
      expect(await provisionRequest(requestId, ci.provision, false, { agent })).toMatchObject({
        kind: 'skipped',
        reason: `${agent} is no left agent of this request`,
      });
    }
    expect(ci.removals).toEqual([]);
    expect(livePods(twins)).toEqual([current]);
  });

  it("lets a left agent's message go on its last delivery when its request cannot be read", async () => {
    const twins = createTwins();
    const ci = namedCi(twins);
    const requestId = await queuedBuild(twins, 'b1');
    const ports = {
      ...ci.provision,
      requests: {
        ...ci.provision.requests,
        get: () => Promise.reject(new StateUnavailableError('GetItem', { cause: new Error('throttled') })),
      },
    };
    const agent = podNameFor('gen', requestId);
    await expect(provisionRequest(requestId, ports, false, { agent })).rejects.toThrow(StateUnavailableError);
    expect(await provisionRequest(requestId, ports, true, { agent })).toMatchObject({ kind: 'skipped' });
  });
});
