import { podNameFor } from '../../../shared/requests/identity';
import { batchMessageOf, prepareBatch, provisionRequest, RetryLaterError } from '../../../shared/provision';
import { pitcrewLabels } from '../../../shared/templates/labels';
import { crashingPorts } from '../../../infra/local/stand-ins/crash-ports';
import { StateUnavailableError } from '../../../shared/state/errors';
import { attemptSeconds, createTwins, livePods, recordQueued, slots, slowCi, type Twins } from './twins';

/** provisionRequest (and prepareBatch, finishRequest) on the twins: slots, pods, Secrets, messages. */
describe('provisioning on the twins', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  it('a queued request gets a slot, a pod and its Secret, and is provisioned', async () => {
    const requestId = await recordQueued(twins, 'build-1');
    const podName = podNameFor('gen', requestId);
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({
      kind: 'provisioned',
      podName,
      adopted: false,
    });
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'provisioned',
      holdsSlot: true,
      template: 'gen',
      podName,
      attempts: 1,
    });
    expect((await twins.state.requests.get(requestId))?.attemptUntilMs).toBeUndefined();
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
    const pod = twins.agents.pod(twins.namespace, podName);
    expect(pod?.metadata?.labels).toMatchObject({
      [pitcrewLabels.requestId]: requestId,
      [pitcrewLabels.template]: 'gen',
      [pitcrewLabels.source]: 'generic',
    });
    // The Secret belongs to the pod, so it goes with it.
    const secret = twins.agents.secret(twins.namespace, podName);
    expect(secret?.metadata?.ownerReferences?.[0]?.uid).toBe(pod?.metadata?.uid);
    // A generic agent is told the build it is for, to run that one (docs/generic-webhook.md).
    const env = Object.fromEntries(
      (pod?.spec?.containers[0]?.env ?? []).map((variable) => [variable.name, variable.value]),
    );
    expect(env).toMatchObject({
      PITCREW_AGENT_NAME: podName,
      PITCREW_REQUEST_ID: requestId,
      PITCREW_JOB_ID: 'build-1',
    });
  });

  it('at the template cap a request waits, with no pod and no slot', async () => {
    const first = await recordQueued(twins, 'build-1');
    const second = await recordQueued(twins, 'build-2');
    await provisionRequest(first, twins.provision);
    expect(await provisionRequest(second, twins.provision)).toEqual({
      kind: 'waiting',
      reason: "at the 'gen' cap",
    });
    expect(await twins.state.requests.get(second)).toMatchObject({ status: 'waiting', holdsSlot: false });
    expect(livePods(twins)).toEqual([podNameFor('gen', first)]);
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
  });

  it('drained, a request waits and nothing is reserved', async () => {
    await twins.state.settings.update((current) => ({ ...current, drained: true }));
    const requestId = await recordQueued(twins, 'build-1');
    expect(await provisionRequest(requestId, twins.provision)).toEqual({
      kind: 'waiting',
      reason: 'provisioning is drained',
    });
    expect(livePods(twins)).toEqual([]);
    expect(await slots(twins)).toEqual({ global: 0, templates: {} });
  });

  it('a transient cluster failure gives the slot back, leaves the request queued, and throws RetryLaterError', async () => {
    const requestId = await recordQueued(twins, 'build-1');
    twins.agents.failNext(1, 503);
    await expect(provisionRequest(requestId, twins.provision)).rejects.toBeInstanceOf(RetryLaterError);
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'queued',
      holdsSlot: false,
      reason: expect.stringMatching(/^retrying: /),
    });
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
    expect(livePods(twins)).toEqual([]);
    // SQS delivers it again, and the API server is back.
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'provisioned' });
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
  });

  it('an agent made for a request whose slot was given up meanwhile is removed, not left running beside the cap (bug 33)', async () => {
    const requestId = await recordQueued(twins, 'build-1');
    const ci = slowCi(twins, 'agent-7');
    const attempt = provisionRequest(requestId, ci.ports);
    await ci.atCi;
    // Something gives its slot up while the CI call runs.
    expect(await twins.state.capacity.release(requestId, 'gen', 'waiting', 'cap lowered')).toBe(true);
    ci.release();
    expect(await attempt).toEqual({
      kind: 'skipped',
      reason: 'the build was waiting while its agent was being made',
    });
    expect(livePods(twins)).toEqual([]);
    // The agent it registered is removed at its CI, by the id the CI gave it.
    expect(ci.deregistered).toEqual(['agent-7']);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'waiting', holdsSlot: false });
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
  });

  it('on the last delivery a transient failure fails the request with the reason, and gives the slot back', async () => {
    const requestId = await recordQueued(twins, 'build-1');
    twins.agents.failNext(1, 503);
    await expect(provisionRequest(requestId, twins.provision, true)).rejects.toBeInstanceOf(RetryLaterError);
    const record = await twins.state.requests.get(requestId);
    expect(record).toMatchObject({ status: 'failed', holdsSlot: false });
    expect(record?.reason).toMatch(/^gave up after the last delivery .*: .*unavailable/);
    expect(record?.expiresAt).toEqual(expect.any(Number));
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
    expect(livePods(twins)).toEqual([]);
  });

  it('a request whose template is no longer configured fails without a slot or a pod', async () => {
    const requestId = await recordQueued(twins, 'build-1', 'retired');
    // Just queued, the template may be one a deploy is adding: SQS delivers the message again.
    await expect(provisionRequest(requestId, twins.provision)).rejects.toThrow('is not configured here yet');
    twins.clock.advance(twins.config.reaper.staleQueuedSeconds);
    expect(await provisionRequest(requestId, twins.provision)).toEqual({
      kind: 'failed',
      reason: "template 'retired' is no longer configured",
    });
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'failed', holdsSlot: false });
    expect(livePods(twins)).toEqual([]);
    expect(await slots(twins)).toEqual({ global: 0, templates: {} });
  });

  it('a pod of that name Pitcrew did not make is left alone, given no Secret, and the request fails', async () => {
    const requestId = await recordQueued(twins, 'build-1');
    const podName = podNameFor('gen', requestId);
    await twins.agents.createPod({
      metadata: { name: podName, namespace: twins.namespace, labels: { app: 'other' } },
      spec: { containers: [{ name: 'x', image: 'busybox' }] },
    });
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({
      kind: 'failed',
      reason: expect.stringContaining('Pitcrew did not make'),
    });
    expect(livePods(twins)).toEqual([podName]);
    expect(twins.agents.secret(twins.namespace, podName)).toBeUndefined();
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'failed', holdsSlot: false });
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
  });

  it('a second message for a provisioned request makes no second pod and takes no second slot', async () => {
    const requestId = await recordQueued(twins, 'build-1');
    await provisionRequest(requestId, twins.provision);
    const secretUid = twins.agents.secret(twins.namespace, podNameFor('gen', requestId))?.metadata?.uid;
    expect(await provisionRequest(requestId, twins.provision)).toEqual({
      kind: 'skipped',
      reason: 'agent already provisioned',
    });
    expect(livePods(twins)).toEqual([podNameFor('gen', requestId)]);
    // Its credentials were not replaced.
    expect(twins.agents.secret(twins.namespace, podNameFor('gen', requestId))?.metadata?.uid).toBe(secretUid);
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
    expect((await twins.state.requests.get(requestId))?.attempts).toBe(1);
  });

  it('two messages for one request at once: one agent, one slot, and the other attempt steps aside', async () => {
    // On 'big' (cap 3) the loser's reservation is refused as request-moved.
    const requestId = await recordQueued(twins, 'build-1', 'big', ['big']);
    const [first, second] = await Promise.all([
      provisionRequest(requestId, twins.provision),
      provisionRequest(requestId, twins.provision),
    ]);
    expect(first).toMatchObject({ kind: 'provisioned', adopted: false });
    expect(second).toEqual({ kind: 'skipped', reason: 'another provisioner took this request' });
    expect(livePods(twins)).toEqual([podNameFor('big', requestId)]);
    expect(await slots(twins)).toEqual({ global: 1, templates: { big: 1 } });
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'provisioned', attempts: 1 });
  });

  it('two messages at once at a full template cap: one agent, and the record is left provisioned', async () => {
    // On 'gen' (cap 1) the first attempt's own slot fills the cap, so the loser is refused as
    // template-cap (checked before request-moved); its move to waiting (from queued or waiting only)
    // writes nothing, so it steps aside (`skipped`, not a wait) and the record stays the first's.
    const requestId = await recordQueued(twins, 'build-1');
    const [first, second] = await Promise.all([
      provisionRequest(requestId, twins.provision),
      provisionRequest(requestId, twins.provision),
    ]);
    expect(first).toMatchObject({ kind: 'provisioned' });
    expect(second).toEqual({ kind: 'skipped', reason: `request ${requestId} moved on before it could wait` });
    expect(livePods(twins)).toEqual([podNameFor('gen', requestId)]);
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'provisioned',
      holdsSlot: true,
      attempts: 1,
    });
  });

  it("an ending request's message removes the pod, frees the slot, and wakes the oldest waiting request", async () => {
    const running = await recordQueued(twins, 'build-1');
    await provisionRequest(running, twins.provision);
    twins.clock.advance(1);
    const older = await recordQueued(twins, 'build-2');
    await provisionRequest(older, twins.provision);
    twins.clock.advance(1);
    const newer = await recordQueued(twins, 'build-3');
    await provisionRequest(newer, twins.provision);
    expect((await twins.state.requests.listByStatus('waiting')).map((r) => r.requestId)).toEqual([
      older,
      newer,
    ]);
    // The CI said the build completed (the webhook's move).
    await twins.state.requests.transition(running, ['provisioned'], 'ending', { endAs: 'completed' });
    twins.queue.clear();

    expect(await provisionRequest(running, twins.provision)).toEqual({ kind: 'ended', status: 'completed' });
    const podName = podNameFor('gen', running);
    expect(twins.agents.pod(twins.namespace, podName)).toBeUndefined();
    expect(twins.agents.secret(twins.namespace, podName)).toBeUndefined();
    expect(await twins.state.requests.get(running)).toMatchObject({ status: 'completed', holdsSlot: false });
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
    // One slot freed: the oldest waiting request only is queued again, and its message sent.
    expect(twins.queue.sentIds()).toEqual([older]);
    expect(await twins.state.requests.get(older)).toMatchObject({
      status: 'queued',
      reason: 'capacity freed',
    });
    expect(await twins.state.requests.get(newer)).toMatchObject({ status: 'waiting' });
    // Its message then gets it the slot.
    expect(await provisionRequest(older, twins.provision)).toMatchObject({ kind: 'provisioned' });
    expect(livePods(twins)).toEqual([podNameFor('gen', older)]);
  });

  it('an ending request whose pod is still terminating finishes all the same; a second message does nothing', async () => {
    twins = createTwins(undefined, { terminatingMs: 30_000 });
    const requestId = await recordQueued(twins, 'build-1');
    await provisionRequest(requestId, twins.provision);
    await twins.state.requests.transition(requestId, ['provisioned'], 'ending', { endAs: 'cancelled' });
    expect(await provisionRequest(requestId, twins.provision)).toEqual({
      kind: 'ended',
      status: 'cancelled',
    });
    const podName = podNameFor('gen', requestId);
    expect(twins.agents.pod(twins.namespace, podName)?.metadata?.deletionTimestamp).toBeDefined();
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'skipped' });
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
    twins.clock.advance(31);
    expect(twins.agents.pods(twins.namespace)).toEqual([]);
  });

  it("a batch takes no slot for a left agent's message: the request's own message, later in the batch, is prepared (bug 71)", async () => {
    // Two builds of one template: the batch takes their slots in one transaction.
    const a = await recordQueued(twins, 'build-big-1', 'big', ['big']);
    const big1 = await recordQueued(twins, 'build-big-2', 'big', ['big']);
    const messages = [
      batchMessageOf('m0', { requestId: a, agent: podNameFor('big', a) }),
      batchMessageOf('m1', { requestId: a }),
      batchMessageOf('m2', { requestId: big1 }),
    ];
    expect(messages[0]).toEqual({ messageId: 'm0', requestId: undefined });
    const prepared = await prepareBatch(messages, twins.provision);
    expect([...prepared].map(([messageId, entry]) => [messageId, entry.reserved])).toEqual([
      ['m1', true],
      ['m2', true],
    ]);
  });

  it('a batch takes its slots together, first come first served at a cap', async () => {
    const a = await recordQueued(twins, 'build-a');
    const b = await recordQueued(twins, 'build-b');
    const big1 = await recordQueued(twins, 'build-big-1', 'big', ['big']);
    const big2 = await recordQueued(twins, 'build-big-2', 'big', ['big']);
    const messages = [a, b, big1, big2].map((requestId, index) => ({ messageId: `m${index}`, requestId }));
    const prepared = await prepareBatch(messages, twins.provision);
    expect([...prepared].map(([messageId, entry]) => [messageId, entry.reserved])).toEqual([
      ['m0', true],
      ['m1', false],
      ['m2', true],
      ['m3', true],
    ]);
    expect(await slots(twins)).toEqual({ global: 3, templates: { gen: 1, big: 2 } });
    const outcomes = await Promise.all(
      messages.map((message) =>
        provisionRequest(message.requestId, twins.provision, false, {
          prepared: prepared.get(message.messageId),
        }),
      ),
    );
    expect(outcomes.map((outcome) => outcome.kind)).toEqual([
      'provisioned',
      'waiting',
      'provisioned',
      'provisioned',
    ]);
    expect(livePods(twins).sort()).toEqual(
      [podNameFor('gen', a), podNameFor('big', big1), podNameFor('big', big2)].sort(),
    );
    expect(await slots(twins)).toEqual({ global: 3, templates: { gen: 1, big: 2 } });
  });

  it('a batch reservation that applied but whose answer was lost: each message reads again and provisions its request (bug 44)', async () => {
    const big1 = await recordQueued(twins, 'build-big-1', 'big', ['big']);
    const big2 = await recordQueued(twins, 'build-big-2', 'big', ['big']);
    const ports = {
      ...twins.provision,
      capacity: {
        ...twins.provision.capacity,
        reserveMany: async (slot: Parameters<typeof twins.provision.capacity.reserveMany>[0]) => {
          await twins.provision.capacity.reserveMany(slot);
          throw new StateUnavailableError('TransactWriteItems', { cause: new Error('connection reset') });
        },
      },
    };
    const messages = [big1, big2].map((requestId, index) => ({ messageId: `m${index}`, requestId }));
    const prepared = await prepareBatch(messages, ports);
    expect(await slots(twins)).toEqual({ global: 2, templates: { big: 2 } });
    // Acting on the records as read before (queued), each would find its request taken and let its
    // message go, leaving it provisioning with no attempt until the reaper's stale rule.
    expect([...prepared.keys()]).toEqual([]);
    const first = messages.map((message) =>
      provisionRequest(message.requestId, ports, false, { prepared: prepared.get(message.messageId) }),
    );
    // The reservation's attempt holds each request for its time: each message comes back after it.
    for (const outcome of first) await expect(outcome).rejects.toThrow(RetryLaterError);
    twins.clock.advance(attemptSeconds + 1);
    for (const message of messages)
      expect(await provisionRequest(message.requestId, ports)).toMatchObject({ kind: 'provisioned' });
    expect(livePods(twins).sort()).toEqual([podNameFor('big', big1), podNameFor('big', big2)].sort());
    expect(await slots(twins)).toEqual({ global: 2, templates: { big: 2 } });
  });

  describe("a template's from added since the requests were recorded", () => {
    /** The twins' ports with `name` kept to acme/* in memory: generic records name no origin, so every one is left out. */
    const keptPorts = (name: string) => ({
      ...twins.provision,
      config: {
        ...twins.provision.config,
        templates: twins.provision.config.templates.map((t) =>
          t.name === name ? { ...t, from: ['acme/*'] } : t,
        ),
      },
    });

    it('a batch takes no slot for the requests it leaves out, and each fails without one', async () => {
      const ports = keptPorts('big');
      const big1 = await recordQueued(twins, 'build-big-1', 'big', ['big']);
      const big2 = await recordQueued(twins, 'build-big-2', 'big', ['big']);
      const messages = [big1, big2].map((requestId, index) => ({ messageId: `m${index}`, requestId }));
      const prepared = await prepareBatch(messages, ports);
      expect([...prepared.values()].map((entry) => entry.reserved)).toEqual([false, false]);
      expect(await slots(twins)).toEqual({ global: 0, templates: {} });
      const outcomes = await Promise.all(
        messages.map((message) =>
          provisionRequest(message.requestId, ports, false, { prepared: prepared.get(message.messageId) }),
        ),
      );
      expect(outcomes.map((outcome) => outcome.kind)).toEqual(['failed', 'failed']);
      for (const requestId of [big1, big2])
        expect(await twins.state.requests.get(requestId)).toMatchObject({
          status: 'failed',
          holdsSlot: false,
        });
      expect(livePods(twins)).toEqual([]);
    });

    it('a request resumed after its pod was made loses the pod and its slot, and fails', async () => {
      const requestId = await recordQueued(twins, 'build-1');
      // A first attempt makes the pod and dies there; the next comes once the attempt's time is up.
      const { ports, crashed } = crashingPorts(twins.provision, 'after-pod');
      void provisionRequest(requestId, ports);
      await crashed;
      expect(livePods(twins)).toEqual([podNameFor('gen', requestId)]);
      twins.clock.advance(attemptSeconds + 1);
      expect(await provisionRequest(requestId, keptPorts('gen'))).toMatchObject({ kind: 'failed' });
      expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'failed', holdsSlot: false });
      expect(livePods(twins)).toEqual([]);
      expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
    });
  });
});
