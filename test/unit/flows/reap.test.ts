import { provisionRequest } from '../../../shared/provision';
import { reap, reapRulesFrom, type ReapPorts } from '../../../shared/reap';
import { queueLimits } from '../../../shared/queue/limits';
import type { RequestRecord, RequestStatus } from '../../../shared/requests/record';
import { CiRejectedError, CiUnavailableError } from '../../../shared/sources/errors';
import type { AgentRequest, CiSourceAdapter } from '../../../shared/sources/types';
import { podNameFor } from '../../../shared/requests/identity';
import { managedByValue, managedSelector, pitcrewLabels } from '../../../shared/templates/labels';
import { receiveWebhook } from '../../../shared/webhook';
import {
  attemptSeconds,
  createTwins,
  finishPod,
  flowConfigYaml,
  genericDelivery,
  genericRequestId,
  livePods,
  provisionedBuild,
  recordQueued,
  slots,
  slowCi,
  type Twins,
} from './twins';

/** One reaper run on the twins: what it deletes, settles, repairs and sends. */
describe('the reaper on the twins', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  const provisioned = (jobId: string, template = 'gen', labels = ['linux']): Promise<string> =>
    provisionedBuild(twins, jobId, template, labels);

  const finish = (podName: string, phase: 'Succeeded' | 'Failed', exitCode: number): void =>
    finishPod(twins, podName, phase, exitCode);

  /** The reaper's ports, where the named pod is replaced by another of its name right after each list. */
  const replacedAfterList = (podName: string): ReapPorts => ({
    ...twins.reap,
    agents: {
      ...twins.reap.agents,
      async listPods(namespace, selector, pageSize) {
        const listed = await twins.reap.agents.listPods(namespace, selector, pageSize);
        const { pod } = await twins.agents.findAgent(namespace, podName);
        await twins.agents.deletePod(namespace, podName);
        const { uid: _uid, resourceVersion: _version, creationTimestamp: _at, ...metadata } = pod!.metadata!;
        await twins.agents.createPod({ ...pod!, metadata, status: {} });
        return listed;
      },
    },
  });

  it('deletes a pod whose agent finished and completes its request, giving the slot back', async () => {
    const requestId = await provisioned('build-1');
    const podName = podNameFor('gen', requestId);
    finish(podName, 'Succeeded', 0);
    const report = await reap(twins.reap);
    expect(report).toMatchObject({ deleted: { finished: 1 }, podsByPhase: { Succeeded: 1 }, errors: 0 });
    expect(livePods(twins)).toEqual([]);
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'completed',
      holdsSlot: false,
      reason: expect.stringContaining('finished'),
    });
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
  });

  it('deletes only the pod it listed: one made since under the same name is left, its request unsettled', async () => {
    const requestId = await provisioned('build-1');
    const podName = podNameFor('gen', requestId);
    finish(podName, 'Succeeded', 0);
    // Between the run's list and its delete, the pod is replaced by another of the same name.
    const replacing = recordingDeregistrations(replacedAfterList(podName));
    const report = await reap(replacing.ports);
    expect(report.deleted).toEqual({});
    // Nor is its agent removed at the CI, which finds agents by their pod's name (the newer pod's).
    expect(replacing.deregistered).toEqual([]);
    expect(livePods(twins)).toEqual([podName]);
    expect((await twins.state.requests.get(requestId))?.status).toBe('provisioned');
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
  });

  it('fails the request of an agent that exited with an error, and wakes a waiting request into the slot', async () => {
    const requestId = await provisioned('build-1');
    const waiting = await recordQueued(twins, 'build-2');
    expect(await provisionRequest(waiting, twins.provision)).toMatchObject({ kind: 'waiting' });
    twins.queue.clear();
    finish(podNameFor('gen', requestId), 'Failed', 3);
    const report = await reap(twins.reap);
    expect(report).toMatchObject({ deleted: { finished: 1 }, woken: 1, waiting: 1 });
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('exited with code 3'),
    });
    expect(await twins.state.requests.get(waiting)).toMatchObject({ status: 'queued' });
    expect(twins.queue.sentIds()).toEqual([waiting]);
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
  });

  it('deletes an orphan pod (no request asks for it) only after its grace', async () => {
    await twins.agents.createPod({
      metadata: {
        name: 'pc-gen-orphan',
        namespace: twins.namespace,
        labels: {
          [pitcrewLabels.managedBy]: managedByValue,
          [pitcrewLabels.requestId]: genericRequestId('never-recorded'),
          [pitcrewLabels.template]: 'gen',
          [pitcrewLabels.source]: 'generic',
        },
      },
      spec: { containers: [{ name: 'agent', image: 'busybox' }] },
    });
    expect(await reap(twins.reap)).toMatchObject({ deleted: {}, podsByPhase: { Pending: 1 } });
    expect(livePods(twins)).toEqual(['pc-gen-orphan']);
    twins.clock.advance(twins.config.reaper.orphanGraceSeconds);
    expect(await reap(twins.reap)).toMatchObject({ deleted: { orphan: 1 }, errors: 0 });
    expect(livePods(twins)).toEqual([]);
  });

  it('leaves a pod that is not Pitcrew’s alone, however old', async () => {
    await twins.agents.createPod({
      metadata: { name: 'someone-else', namespace: twins.namespace, labels: { app: 'other' } },
      spec: { containers: [{ name: 'x', image: 'busybox' }] },
    });
    twins.clock.advance(24 * 3600);
    expect(await reap(twins.reap)).toMatchObject({ deleted: {}, podsByPhase: {} });
    expect(livePods(twins)).toEqual(['someone-else']);
  });

  it('repairs counters that drifted, both ways, to the slots the requests hold', async () => {
    await provisioned('build-1');
    await provisioned('build-2', 'big', ['big']);
    const { changes } = await twins.state.capacity.readCounters();
    // Drift: the global counter says more than is held, the template's less.
    expect(await twins.state.capacity.repairCounter('global', 2, 5, changes?.global)).toBe(true);
    expect(await twins.state.capacity.repairCounter({ template: 'gen' }, 1, 0, changes?.templates.gen)).toBe(
      true,
    );
    expect(await slots(twins)).toEqual({ global: 5, templates: { gen: 0, big: 1 } });
    // The first run notes the drift; the next, finding the counters unmoved, repairs them.
    expect((await reap(twins.reap)).counterRepairs).toBe(0);
    expect(await slots(twins)).toEqual({ global: 5, templates: { gen: 0, big: 1 } });
    expect((await reap(twins.reap)).counterRepairs).toBe(2);
    expect(await slots(twins)).toEqual({ global: 2, templates: { gen: 1, big: 1 } });
    // Nothing left to repair.
    expect((await reap(twins.reap)).counterRepairs).toBe(0);
  });

  it('repairs no counter from an index that lags a slot taken just before it read the counters (bug 36)', async () => {
    const first = await recordQueued(twins, 'build-1');
    // The byStatus index as it stood just before build-1's reservation: on AWS it lags the table.
    const lagged = new Map<RequestStatus, RequestRecord[]>();
    for (const status of ['queued', 'waiting', 'provisioning', 'provisioned', 'started', 'ending'] as const)
      lagged.set(status, await twins.state.requests.listByStatus(status));
    expect(await provisionRequest(first, twins.provision)).toMatchObject({ kind: 'provisioned' });
    const lagging: ReapPorts = {
      ...twins.reap,
      requests: {
        ...twins.reap.requests,
        listByStatus: async (status: RequestStatus, limit?: number) =>
          status === 'waiting'
            ? twins.state.requests.listByStatus(status, limit)
            : (lagged.get(status) ?? []),
      },
    };
    expect((await reap(lagging)).counterRepairs).toBe(0);
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
    // By the next run the index has caught up: the counters were right, and stay so.
    expect((await reap(twins.reap)).counterRepairs).toBe(0);
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
    // gen's cap (1) holds: the next build waits.
    const second = await recordQueued(twins, 'build-2');
    expect(await provisionRequest(second, twins.provision)).toMatchObject({ kind: 'waiting' });
    expect(livePods(twins)).toEqual([podNameFor('gen', first)]);
  });

  it('repairs no drift once its counter moved since a run noted it: it is noted again', async () => {
    await provisioned('build-1');
    const read = async () => (await twins.state.capacity.readCounters()).changes?.templates.gen ?? 0;
    expect(await twins.state.capacity.repairCounter({ template: 'gen' }, 1, 3, await read())).toBe(true);
    expect((await reap(twins.reap)).counterRepairs).toBe(0); // noted
    // gen moves (as a reservation and a release would, leaving `used` where it was).
    expect(await twins.state.capacity.repairCounter({ template: 'gen' }, 3, 3, await read())).toBe(true);
    expect((await reap(twins.reap)).counterRepairs).toBe(0); // noted again, at its new changes
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 3 } });
    expect((await reap(twins.reap)).counterRepairs).toBe(1);
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
  });

  it("repairs a template named 'global' as its own counter, never the global one", async () => {
    twins = createTwins(flowConfigYaml.replace('name: big,', 'name: global,'));
    await provisioned('build-1', 'global', ['big']);
    const { changes } = await twins.state.capacity.readCounters();
    expect(changes).toEqual({ global: 1, templates: { global: 1 } });
    // The template's counter drifts; the global counter is right.
    expect(await twins.state.capacity.repairCounter({ template: 'global' }, 1, 4, 1)).toBe(true);
    expect(await slots(twins)).toEqual({ global: 1, templates: { global: 4 } });
    expect((await reap(twins.reap)).counterRepairs).toBe(0); // noted
    expect((await reap(twins.reap)).counterRepairs).toBe(1);
    expect(await slots(twins)).toEqual({ global: 1, templates: { global: 1 } });
    expect((await twins.state.capacity.readCounters()).changes).toEqual({
      global: 1,
      templates: { global: 3 },
    });
  });

  it('gives a request whose pod vanished another go while retries are left, then fails it', async () => {
    const requestId = await provisioned('build-1');
    const podName = podNameFor('gen', requestId);
    await twins.agents.deletePod(twins.namespace, podName);
    twins.queue.clear();
    // Within lostGraceSeconds it may yet appear: kept.
    expect(await reap(twins.reap)).toMatchObject({ lost: 0 });
    twins.clock.advance(twins.config.reaper.lostGraceSeconds);
    expect(await reap(twins.reap)).toMatchObject({ lost: 1, retried: 1 });
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'queued',
      holdsSlot: false,
      retriesUsed: 1,
    });
    expect(twins.queue.sentIds()).toEqual([requestId]);
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
    // Its second agent, of a name of its own, vanishes too: 'gen' allows one retry, so now it fails.
    await provisionRequest(requestId, twins.provision);
    const second = podNameFor('gen', requestId, 2);
    expect(second).not.toBe(podName);
    expect(livePods(twins)).toEqual([second]);
    await twins.agents.deletePod(twins.namespace, second);
    twins.clock.advance(twins.config.reaper.lostGraceSeconds);
    expect(await reap(twins.reap)).toMatchObject({ lost: 1, retried: 0 });
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'failed', holdsSlot: false });
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
  });

  it('leaves alone a build the CI started on another agent while it waited: no second agent, no failure', async () => {
    // build-1 takes gen's only slot; build-2 waits at the cap.
    const first = await provisioned('build-1');
    const second = await recordQueued(twins, 'build-2');
    expect(await provisionRequest(second, twins.provision)).toMatchObject({ kind: 'waiting' });
    // The CI runs build-2 on an agent that is not Pitcrew's (a static node, a spare agent).
    await receiveWebhook(genericDelivery(twins, 'started', 'build-2'), twins.webhook);
    expect(await twins.state.requests.get(second)).toMatchObject({ status: 'started', holdsSlot: false });
    twins.queue.clear();
    twins.clock.advance(twins.config.reaper.lostGraceSeconds + 1);
    expect(await reap(twins.reap)).toMatchObject({ lost: 0, retried: 0 });
    expect(await twins.state.requests.get(second)).toMatchObject({ status: 'started', holdsSlot: false });
    expect(twins.queue.sentIds()).toEqual([]);
    // Its end at the CI closes it; build-1's agent was never touched.
    await receiveWebhook(genericDelivery(twins, 'completed', 'build-2'), twins.webhook);
    expect(await twins.state.requests.get(second)).toMatchObject({ status: 'completed' });
    expect(livePods(twins)).toEqual([podNameFor('gen', first)]);
  });

  it('gives up on a pod stuck Pending past its template’s timeout', async () => {
    const requestId = await provisioned('build-1', 'big', ['big']); // retries: 0
    const template = twins.config.templates.find((candidate) => candidate.name === 'big')!;
    twins.clock.advance(template.pendingTimeoutSeconds);
    expect(await reap(twins.reap)).toMatchObject({ deleted: { stuck: 1 } });
    expect(livePods(twins)).toEqual([]);
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('Pending'),
    });
    expect(await slots(twins)).toEqual({ global: 0, templates: { big: 0 } });
  });

  it('sends a stale queued request’s message again, and expires one queued past maxWaitHours', async () => {
    const requestId = await recordQueued(twins, 'build-1');
    twins.clock.advance(twins.config.reaper.staleQueuedSeconds);
    expect(await reap(twins.reap)).toMatchObject({ resent: 1 });
    expect(twins.queue.sentIds()).toEqual([requestId]);
    twins.clock.advance(twins.config.reaper.maxWaitHours * 3600);
    expect(await reap(twins.reap)).toMatchObject({ expired: 1 });
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('expired'),
    });
  });

  it('finishes an ending request whose pod is gone (its provision message was lost)', async () => {
    const requestId = await provisioned('build-1');
    await twins.state.requests.transition(requestId, ['provisioned'], 'ending', { endAs: 'completed' });
    await twins.agents.deletePod(twins.namespace, podNameFor('gen', requestId));
    await reap(twins.reap);
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'completed',
      holdsSlot: false,
    });
    expect(await slots(twins)).toEqual({ global: 0, templates: { gen: 0 } });
  });

  /**
   * The reaper's ports with the generic CI's adapter recording what it is asked to deregister: a
   * GitHub runner can only be found with the repository its ended request holds (bugs 5 and 9 of
   * docs/reliability.md), so the details must be the request's, not made from the pod's name.
   */
  function recordingDeregistrations(base: ReapPorts = twins.reap): {
    ports: ReapPorts;
    deregistered: AgentRequest[];
  } {
    const deregistered: AgentRequest[] = [];
    const real = base.sources.generic?.adapter;
    if (!real) throw new Error('the twins have no generic adapter');
    const adapter: CiSourceAdapter = {
      ...real,
      async deregisterAgent(request) {
        deregistered.push(request);
      },
    };
    return { ports: { ...base, sources: { generic: { adapter } } }, deregistered };
  }

  it.each([
    ['young, so its ended request is read for it alone', 0],
    ['past the orphan grace, so the removal reads the ended request itself', 1],
  ])(
    'deletes the pod of an ended build (%s) and deregisters its agent with that request’s details',
    async (_case, gracesLater) => {
      const requestId = await provisioned('build-1');
      const podName = podNameFor('gen', requestId);
      // The build ended with its slot given back while its pod stayed (a pod the API server made
      // after its client gave up, or an attempt that died after the pod).
      expect(await twins.state.capacity.release(requestId, 'gen', 'cancelled', 'the CI cancelled it')).toBe(
        true,
      );
      const record = await twins.state.requests.get(requestId);
      twins.clock.advance(gracesLater * (twins.config.reaper.orphanGraceSeconds + 1));
      const { ports, deregistered } = recordingDeregistrations();
      expect(await reap(ports)).toMatchObject({ deleted: { orphan: 1 }, errors: 0 });
      expect(livePods(twins)).toEqual([]);
      expect(deregistered).toEqual([
        expect.objectContaining({ requestId, agentName: podName, details: record?.details }),
      ]);
      expect(record?.details).toMatchObject({ source: 'generic' });
    },
  );

  it('starts no action with too little of its lease left, and the next run does the rest', async () => {
    const first = await provisioned('build-1', 'big', ['big']);
    twins.clock.advance(1);
    const second = await provisioned('build-2', 'big', ['big']);
    for (const requestId of [first, second]) finish(podNameFor('big', requestId), 'Succeeded', 0);
    // The first deletion hangs until the run has less than actMarginSeconds of its lease left.
    const rules = reapRulesFrom(twins.config.reaper);
    let hung = false;
    const slow: ReapPorts = {
      ...twins.reap,
      agents: {
        ...twins.reap.agents,
        async deletePod(namespace, name, uid) {
          if (!hung) twins.clock.advance(rules.leaseSeconds - rules.actMarginSeconds);
          hung = true;
          return twins.reap.agents.deletePod(namespace, name, uid);
        },
      },
    };
    expect(await reap(slow)).toMatchObject({ deleted: { finished: 1 }, stopped: 'its lease ran short' });
    expect(livePods(twins)).toHaveLength(1);
    const next = await reap(twins.reap);
    expect(next).toMatchObject({ deleted: { finished: 1 } });
    expect(next.stopped).toBeUndefined();
    expect(livePods(twins)).toEqual([]);
    expect(await slots(twins)).toEqual({ global: 0, templates: { big: 0 } });
  });

  it('holds its lease longer than the reap and ops functions may run', () => {
    const rules = reapRulesFrom(twins.config.reaper);
    expect(rules.leaseSeconds).toBeGreaterThan(queueLimits.reapTimeoutSeconds);
    expect(rules.leaseSeconds).toBeGreaterThan(queueLimits.opsTimeoutSeconds);
  });

  it('never trims a request whose attempt is still making its agent, so no agent is left running beside a lowered cap (bug 33)', async () => {
    const ids: string[] = [];
    for (const job of ['b-1', 'b-2']) {
      ids.push(await provisioned(job, 'big', ['big']));
      twins.clock.advance(1);
    }
    const third = await recordQueued(twins, 'b-3', 'big', ['big']);
    // b-3's attempt reserves its slot and waits inside the CI call (a slow CI).
    const ci = slowCi(twins);
    const inFlight = provisionRequest(third, ci.ports);
    await ci.atCi;
    // An operator lowers big's cap to 2 while that attempt runs, and the reaper runs.
    await twins.state.settings.update((current) => ({ ...current, templateCaps: { big: 2 } }));
    // The newest pending agent that no attempt is making goes: b-2's, not b-3's.
    const during = await reap(twins.reap);
    expect(during.deleted['over-cap']).toBe(1);
    expect(await twins.state.requests.get(ids[1]!)).toMatchObject({ status: 'waiting', holdsSlot: false });
    expect(await twins.state.requests.get(third)).toMatchObject({ status: 'provisioning', holdsSlot: true });
    ci.release();
    expect(await inFlight).toMatchObject({ kind: 'provisioned' });
    // Within the cap now: nothing more to trim, and every live agent holds a slot.
    expect((await reap(twins.reap)).deleted['over-cap']).toBeUndefined();
    expect(livePods(twins).sort()).toEqual([ids[0]!, third].map((id) => podNameFor('big', id)).sort());
    expect(await slots(twins)).toMatchObject({ templates: { big: 2 } });
  });

  it('trims only the pod it listed: one made since under its name waits for the next run', async () => {
    const ids = [await provisioned('b-1', 'big', ['big'])];
    twins.clock.advance(1);
    ids.push(await provisioned('b-2', 'big', ['big']));
    await twins.state.settings.update((current) => ({ ...current, templateCaps: { big: 1 } }));
    const podName = podNameFor('big', ids[1]!);
    const replacing = recordingDeregistrations(replacedAfterList(podName));
    expect((await reap(replacing.ports)).deleted['over-cap']).toBeUndefined();
    expect(replacing.deregistered).toEqual([]);
    expect(await twins.state.requests.get(ids[1]!)).toMatchObject({ status: 'provisioned', holdsSlot: true });
    expect(livePods(twins)).toContain(podName);
    // The next run lists the pod as it is, and trims it.
    expect((await reap(twins.reap)).deleted['over-cap']).toBe(1);
    expect(await twins.state.requests.get(ids[1]!)).toMatchObject({ status: 'waiting', holdsSlot: false });
    expect(livePods(twins)).toEqual([podNameFor('big', ids[0]!)]);
  });

  it('trims a request whose pod an attempt made after the list: the pod goes once the slot does', async () => {
    const first = await provisioned('b-1', 'big', ['big']);
    twins.clock.advance(1);
    const second = await recordQueued(twins, 'b-2', 'big', ['big']);
    // b-2's attempt reserves its slot and stalls at its CI, before its pod, past its attempt's time.
    const ci = slowCi(twins);
    const inFlight = provisionRequest(second, ci.ports);
    await ci.atCi;
    twins.clock.advance(attemptSeconds + 1);
    await twins.state.settings.update((current) => ({ ...current, templateCaps: { big: 1 } }));
    // The run lists no pod for b-2; the attempt then goes on, makes it and records it.
    const resuming: ReapPorts = {
      ...twins.reap,
      agents: {
        ...twins.reap.agents,
        async listPods(namespace, selector, pageSize) {
          const listed = await twins.reap.agents.listPods(namespace, selector, pageSize);
          if (selector === managedSelector) {
            ci.release();
            await inFlight;
          }
          return listed;
        },
      },
    };
    expect((await reap(resuming)).deleted['over-cap']).toBe(1);
    expect(await twins.state.requests.get(second)).toMatchObject({ status: 'waiting', holdsSlot: false });
    expect(livePods(twins)).toEqual([podNameFor('big', first)]);
    expect(await slots(twins)).toMatchObject({ templates: { big: 1 } });
  });

  it('does nothing while another run holds the lease', async () => {
    const requestId = await provisioned('build-1');
    finish(podNameFor('gen', requestId), 'Succeeded', 0);
    expect(await twins.state.leases.acquire('reaper', 'another-run', 60)).toBe(true);
    expect(await reap(twins.reap)).toMatchObject({ skipped: 'another run holds the lease' });
    expect(livePods(twins)).toEqual([podNameFor('gen', requestId)]);
    twins.clock.advance(61);
    expect(await reap(twins.reap)).toMatchObject({ deleted: { finished: 1 } });
  });

  it('a failing cluster fails the run before it acts, and leaves everything as it was', async () => {
    const requestId = await provisioned('build-1');
    finish(podNameFor('gen', requestId), 'Succeeded', 0);
    twins.agents.failNext(1, 503);
    await expect(reap(twins.reap)).rejects.toThrow();
    expect(livePods(twins)).toEqual([podNameFor('gen', requestId)]);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'provisioned' });
    // The lease was given back: the next run goes ahead.
    expect(await reap(twins.reap)).toMatchObject({ deleted: { finished: 1 } });
  });

  // One repository, project or pipeline its CI refuses (gone, or out of reach) must not hide the
  // others' lost builds (a review of the GitHub path, 2026-12-05).
  it('counts and logs a polled source the CI refuses, and enqueues what the others gave', async () => {
    const twins = createTwins();
    const real = twins.reap.sources.generic?.adapter;
    if (!real) throw new Error('the twins have no generic adapter');
    const polled = {
      source: 'generic' as const,
      jobKey: 'polled-1',
      action: 'queued' as const,
      labels: ['linux'],
      deliveryId: 'poll:polled-1',
      details: { source: 'generic' as const },
    };
    const adapter: CiSourceAdapter = {
      ...real,
      async listQueuedBuilds(problem) {
        problem?.(new CiRejectedError('acme/gone does not exist', 404));
        return [polled];
      },
    };
    const report = await reap({ ...twins.reap, sources: { generic: { adapter } } });
    expect(report).toMatchObject({ recovered: 1, errors: 1 });
    expect((await twins.state.requests.get(genericRequestId('polled-1')))?.status).toBe('queued');
  });

  // A rate limit met half-way threw the half that was read away (a review of the Buildkite path).
  it('counts and logs a poll a passing failure ended, and enqueues what was read before it', async () => {
    const twins = createTwins();
    const real = twins.reap.sources.generic?.adapter;
    if (!real) throw new Error('the twins have no generic adapter');
    const warnings: string[] = [];
    const adapter: CiSourceAdapter = {
      ...real,
      async listQueuedBuilds(problem) {
        problem?.(new CiUnavailableError('rate-limited; retry in 30 s', 30));
        return [
          {
            source: 'generic',
            jobKey: 'polled-2',
            action: 'queued',
            labels: ['linux'],
            deliveryId: 'poll:polled-2',
            details: { source: 'generic' },
          },
        ];
      },
    };
    const logger = { ...twins.reap.logger, warn: (message: string) => void warnings.push(message) };
    const report = await reap({ ...twins.reap, logger, sources: { generic: { adapter } } });
    expect(report).toMatchObject({ recovered: 1, errors: 1 });
    expect((await twins.state.requests.get(genericRequestId('polled-2')))?.status).toBe('queued');
    expect(warnings).toContain(
      'polling the CI stopped for this run; the builds read before are recovered, the next run polls again',
    );
  });
});
