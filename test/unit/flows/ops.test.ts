import { OpsConflictError, OpsInputError, OpsNotFoundError, runOpsAction } from '../../../shared/ops';
import { provisionRequest } from '../../../shared/provision';
import { podNameFor } from '../../../shared/requests/identity';
import { byTemplate } from '../../../shared/capacity/by-template';
import { capacityLimits } from '../../../shared/capacity/limits';
import {
  createTwins,
  flowConfigYaml,
  genericRequestId,
  livePods,
  recordQueued,
  slots,
  type Twins,
} from './twins';

/**
 * runOpsAction on the twins. The request queries (status counts, list) are the in-memory twin on the
 * same table; the dead-letter queue's depth has no twin: twins.ts mocks the SQS client (see there).
 */
describe('ops actions on the twins', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  /** One provisioned 'gen' request (the cap is 1) and one waiting behind it. */
  async function runningAndWaiting(): Promise<{ running: string; waiting: string }> {
    const running = await recordQueued(twins, 'build-1');
    await provisionRequest(running, twins.provision);
    twins.clock.advance(10);
    const waiting = await recordQueued(twins, 'build-2');
    expect(await provisionRequest(waiting, twins.provision)).toMatchObject({ kind: 'waiting' });
    twins.queue.clear();
    return { running, waiting };
  }

  it('status counts requests by state, slots and pods per template, and names the oldest waiting', async () => {
    const { waiting } = await runningAndWaiting();
    await recordQueued(twins, 'build-3', 'big', ['big']);
    twins.clock.advance(5);
    const result = await runOpsAction({ action: 'status' }, twins.ops);
    expect(result).toMatchObject({
      action: 'status',
      drained: false,
      requests: { queued: 1, waiting: 1, provisioned: 1, provisioning: 0, failed: 0 },
      caps: {
        global: { cap: 5, configured: 5, used: 1 },
        templates: {
          gen: { cap: 1, configured: 1, used: 1, pods: 1 },
          big: { cap: 3, configured: 3, used: 0, pods: 0 },
        },
      },
      podsByPhase: { Pending: 1 },
      oldestWaiting: { requestId: waiting, template: 'gen', ageSeconds: 5 },
    });
  });

  it('list pages through the requests, active states first and oldest first, with filters', async () => {
    const { running, waiting } = await runningAndWaiting();
    twins.clock.advance(5);
    const big = await recordQueued(twins, 'build-3', 'big', ['big']);
    const all = await runOpsAction({ action: 'list' }, twins.ops);
    expect(all).toMatchObject({ action: 'list' });
    const ids = (result: unknown): string[] =>
      (result as { items: { requestId: string }[] }).items.map((item) => item.requestId);
    expect(ids(all).sort()).toEqual([running, waiting, big].sort());
    expect((all as { next?: string }).next).toBeUndefined();

    const first = (await runOpsAction({ action: 'list', limit: 2 }, twins.ops)) as unknown as {
      items: { requestId: string }[];
      next?: string;
    };
    expect(first.items).toHaveLength(2);
    expect(first.next).toEqual(expect.any(String));
    const rest = await runOpsAction({ action: 'list', limit: 2, cursor: first.next }, twins.ops);
    expect([...ids(first), ...ids(rest)]).toEqual(ids(all));

    expect(ids(await runOpsAction({ action: 'list', template: 'big' }, twins.ops))).toEqual([big]);
    expect(await runOpsAction({ action: 'list', status: 'waiting' }, twins.ops)).toMatchObject({
      items: [{ requestId: waiting, status: 'waiting', template: 'gen' }],
    });
    await expect(
      runOpsAction({ action: 'list', status: 'failed', cursor: first.next }, twins.ops),
    ).rejects.toThrow(OpsInputError);
  });

  it("list clips a long reason (a GitLab job's hundred tags quoted), so a page stays within a Lambda answer; describe shows it whole", async () => {
    const requestId = await recordQueued(twins, 'build-long');
    const reason = `job 7 of group/app asks for tags [${Array.from({ length: 100 }, (_, i) => `${i}`.padEnd(255, 'x')).join(', ')}], not all among sources.gitlab.tags`;
    await twins.state.requests.transition(requestId, ['queued'], 'failed', { reason }, [], {
      holdsSlot: false,
    });
    const listed = (await runOpsAction({ action: 'list', status: 'failed' }, twins.ops)) as unknown as {
      items: { requestId: string; reason?: string }[];
    };
    const line = listed.items.find((item) => item.requestId === requestId);
    expect(line?.reason).toBe(
      `${reason.slice(0, 300)}… (${reason.length - 300} more characters: describe shows it whole)`,
    );
    expect(await runOpsAction({ action: 'describe', requestId }, twins.ops)).toMatchObject({
      request: { reason },
    });
    // Cut by character, never inside a surrogate pair (an emoji a build's tag holds).
    const emoji = await recordQueued(twins, 'build-emoji');
    const penguins = `${'x'.repeat(299)}${'🐧'.repeat(50)} asked for by the build`;
    await twins.state.requests.transition(emoji, ['queued'], 'failed', { reason: penguins }, [], {
      holdsSlot: false,
    });
    const again = (await runOpsAction({ action: 'list', status: 'failed' }, twins.ops)) as unknown as {
      items: { requestId: string; reason?: string }[];
    };
    expect(again.items.find((item) => item.requestId === emoji)?.reason).toBe(
      `${'x'.repeat(299)}🐧… (${Array.from(penguins).length - 300} more characters: describe shows it whole)`,
    );
  });

  it('drain makes new requests wait with no pod; resume wakes them and sends their messages', async () => {
    expect(await runOpsAction({ action: 'drain', confirm: true }, twins.ops)).toEqual({
      action: 'drain',
      drained: true,
      wasDrained: false,
    });
    expect((await twins.state.settings.get()).drained).toBe(true);
    const requestId = await recordQueued(twins, 'build-1');
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'waiting' });
    expect(livePods(twins)).toEqual([]);

    expect(await runOpsAction({ action: 'resume' }, twins.ops)).toEqual({
      action: 'resume',
      drained: false,
      wasDrained: true,
      woken: 1,
    });
    expect((await twins.state.settings.get()).drained).toBe(false);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'queued' });
    expect(twins.queue.sentIds()).toEqual([requestId]);
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'provisioned' });
  });

  it('drain without confirm is refused and changes nothing', async () => {
    await expect(runOpsAction({ action: 'drain' }, twins.ops)).rejects.toThrow(OpsInputError);
    expect((await twins.state.settings.get()).drained).toBe(false);
  });

  it('cancel of a waiting request ends it, frees no slot, and sends nothing', async () => {
    const { waiting } = await runningAndWaiting();
    expect(await runOpsAction({ action: 'cancel', requestId: waiting, confirm: true }, twins.ops)).toEqual({
      action: 'cancel',
      requestId: waiting,
      status: 'cancelled',
      freedSlot: false,
      woken: 0,
    });
    expect(await twins.state.requests.get(waiting)).toMatchObject({
      status: 'cancelled',
      holdsSlot: false,
      reason: 'cancelled by an operator',
    });
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
    expect(twins.queue.sentIds()).toEqual([]);
    // Cancelled is final.
    await expect(
      runOpsAction({ action: 'cancel', requestId: waiting, confirm: true }, twins.ops),
    ).rejects.toThrow(OpsConflictError);
  });

  it('cancel of a provisioned request deletes its pod, frees its slot, and wakes the waiting one', async () => {
    const { running, waiting } = await runningAndWaiting();
    expect(await runOpsAction({ action: 'cancel', requestId: running, confirm: true }, twins.ops)).toEqual({
      action: 'cancel',
      requestId: running,
      status: 'cancelled',
      podDeleted: podNameFor('gen', running),
      agent: 'forgotten',
      freedSlot: true,
      woken: 1,
    });
    expect(livePods(twins)).toEqual([]);
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
    expect(await twins.state.requests.get(waiting)).toMatchObject({ status: 'queued' });
    expect(twins.queue.sentIds()).toEqual([waiting]);
  });

  it('cancel names no pod when there was none to delete (the reaper deleted it first)', async () => {
    const { running } = await runningAndWaiting();
    await twins.agents.deletePod(twins.namespace, podNameFor('gen', running));
    const answer = await runOpsAction({ action: 'cancel', requestId: running, confirm: true }, twins.ops);
    expect(answer).toMatchObject({ status: 'cancelled', agent: 'forgotten', freedSlot: true });
    expect(answer).not.toHaveProperty('podDeleted');
  });

  // A first version read the pod with findAgent, which also tries a (dry-run) Secret create the ops
  // role may not make, and named a pod still terminating (a review of the fixes, 2026-12-06).
  it('cancel names no pod the reaper deleted first, still terminating, and asks the cluster only to list and delete', async () => {
    twins = createTwins(flowConfigYaml, { terminatingMs: 30_000 });
    const { running } = await runningAndWaiting();
    await twins.agents.deletePod(twins.namespace, podNameFor('gen', running));
    twins.clock.advance(1);
    const called: string[] = [];
    const agents = new Proxy(twins.ops.agents, {
      get: (target, name, receiver) => {
        const value: unknown = Reflect.get(target, name, receiver);
        return typeof value === 'function'
          ? (...args: unknown[]) => (
              called.push(String(name)),
              (value as (...a: unknown[]) => unknown)(...args)
            )
          : value;
      },
    });
    const answer = await runOpsAction(
      { action: 'cancel', requestId: running, confirm: true },
      { ...twins.ops, agents },
    );
    expect(answer).toMatchObject({ status: 'cancelled', agent: 'forgotten' });
    expect(answer).not.toHaveProperty('podDeleted');
    expect([...new Set(called)].sort()).toEqual(['deletePod', 'listPods']);
  });

  it('cancel of an unknown request is not found', async () => {
    await expect(
      runOpsAction({ action: 'cancel', requestId: 'generic-nope', confirm: true }, twins.ops),
    ).rejects.toThrow(OpsNotFoundError);
    expect(twins.state.table.items()).toEqual([]);
  });

  it('raising a cap wakes the waiting request; retry queues a failed one again', async () => {
    const { waiting } = await runningAndWaiting();
    expect(await runOpsAction({ action: 'caps', template: 'gen', cap: 2 }, twins.ops)).toMatchObject({
      changed: { template: 'gen', from: 1, to: 2 },
      woken: 1,
    });
    expect((await twins.state.settings.get()).templateCaps).toEqual({ gen: 2 });
    expect(twins.queue.sentIds()).toEqual([waiting]);
    expect(await provisionRequest(waiting, twins.provision)).toMatchObject({ kind: 'provisioned' });
    expect(await slots(twins)).toEqual({ global: 2, templates: { gen: 2 } });

    const failed = await recordQueued(twins, 'build-3', 'big', ['big']);
    twins.agents.failNext(1, 503);
    await expect(provisionRequest(failed, twins.provision, true)).rejects.toThrow();
    expect(await twins.state.requests.get(failed)).toMatchObject({ status: 'failed' });
    twins.queue.clear();
    expect(await runOpsAction({ action: 'retry', requestId: failed }, twins.ops)).toMatchObject({
      status: 'queued',
      messageSent: true,
      previousReason: expect.stringContaining('gave up after the last delivery'),
    });
    // Queued again at the flows' clock: the reaper's maxWaitHours counts from it.
    expect(await twins.state.requests.get(failed)).toMatchObject({
      status: 'queued',
      retriesUsed: 0,
      requeuedAt: twins.clock.now().toISOString(),
    });
    expect((await twins.state.requests.get(failed))?.expiresAt).toBeUndefined();
    expect(twins.queue.sentIds()).toEqual([failed]);
  });

  it('retry answers queued when the request is queued again but its message cannot be sent, and says so', async () => {
    const failed = await recordQueued(twins, 'build-3', 'big', ['big']);
    twins.agents.failNext(1, 503);
    await expect(provisionRequest(failed, twins.provision, true)).rejects.toThrow();
    twins.queue.clear();
    twins.queue.failNextSends(1);
    expect(await runOpsAction({ action: 'retry', requestId: failed }, twins.ops)).toMatchObject({
      status: 'queued',
      messageSent: false,
    });
    expect(await twins.state.requests.get(failed)).toMatchObject({ status: 'queued', retriesUsed: 0 });
    expect(twins.queue.sentIds()).toEqual([]);
  });

  it('reconcile runs the reaper and answers its report', async () => {
    const { running } = await runningAndWaiting();
    twins.agents.setStatus(twins.namespace, podNameFor('gen', running), { phase: 'Succeeded' });
    const result = await runOpsAction({ action: 'reconcile' }, twins.ops);
    expect(result).toMatchObject({ action: 'reconcile', report: { deleted: { finished: 1 }, woken: 1 } });
    expect(await twins.state.requests.get(running)).toMatchObject({ status: 'completed' });
    expect(livePods(twins)).toEqual([]);
  });

  it('caps back to a config value of 0 needs confirm, as a cap of 0 does, and changes nothing without it', async () => {
    const closed = createTwins(
      flowConfigYaml.replace(
        '  - { name: big,',
        '  - { name: closed, source: generic, labels: [closed], image: busybox, instanceCap: 0 }\n  - { name: big,',
      ),
    );
    const capInForce = async () =>
      byTemplate(capacityLimits(closed.config, await closed.state.settings.get()).templateCaps, 'closed');
    await runOpsAction({ action: 'caps', template: 'closed', cap: 4 }, closed.ops);
    expect(await capInForce()).toBe(4);
    await expect(runOpsAction({ action: 'caps', template: 'closed', cap: null }, closed.ops)).rejects.toThrow(
      /'confirm' is required: the config's cap is 0, so going back to it stops every new agent of template 'closed'/,
    );
    expect(await capInForce()).toBe(4);
    await runOpsAction({ action: 'caps', template: 'closed', cap: null, confirm: true }, closed.ops);
    expect(await capInForce()).toBe(0);
    // Going back to a cap above 0 is an undo, as before.
    await runOpsAction({ action: 'caps', template: 'gen', cap: 0, confirm: true }, closed.ops);
    await runOpsAction({ action: 'caps', template: 'gen', cap: null }, closed.ops);
    expect(
      byTemplate(capacityLimits(closed.config, await closed.state.settings.get()).templateCaps, 'gen'),
    ).toBe(1);
  });

  it('a lowered global cap is trimmed by reconcile, across templates, as a template cap is (bug 67)', async () => {
    for (const job of ['b-1', 'b-2', 'b-3']) {
      const requestId = await recordQueued(twins, job, 'big', ['big']);
      expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'provisioned' });
      twins.clock.advance(1);
    }
    expect(livePods(twins)).toHaveLength(3);
    expect(await runOpsAction({ action: 'caps', cap: 1 }, twins.ops)).toMatchObject({
      changed: { from: 5, to: 1 },
    });
    twins.clock.advance(1);
    // Pending pods go first, newest first: all three are pending here, so the two newest go.
    expect(await runOpsAction({ action: 'reconcile' }, twins.ops)).toMatchObject({
      report: { errors: 0, deleted: { 'over-cap': 2 } },
    });
    expect(await slots(twins)).toMatchObject({ global: 1 });
    expect(livePods(twins)).toEqual([podNameFor('big', genericRequestId('b-1'))]);
  });
});
