import { ClusterUnavailableError } from '../../../shared/cluster/errors';
import type { V1Pod } from '@kubernetes/client-node';
import { type FakeGithub, startFakeGithub } from '../../../infra/local/stand-ins/github-api';
import { provisionRequest, RetryLaterError, type ProvisionPorts } from '../../../shared/provision';
import { CiUnavailableError } from '../../../shared/sources/errors';
import { reap } from '../../../shared/reap';
import { podNameFor } from '../../../shared/requests/identity';
import {
  attemptSeconds,
  createTwins,
  finishPod,
  githubFlowYaml,
  githubToken,
  flowConfigYaml,
  livePods,
  namedCi,
  queuedBuild,
  recordGithubBuild,
  slots,
  withCiAdapter,
  type Twins,
} from './twins';

/**
 * Each agent a build is given anew has a name of its own (bug 57), so a pod of an earlier agent can
 * be there beside the current one: a create the API server applied after the client gave up, a
 * delete that did not go through. Found by a review of bug 57: the reaper took such a pod for the
 * request's current agent, settled the request on its exit, and deregistered the current agent's
 * runner by the request's agent id.
 */

/** The request's first agent made, its pod lost, and a second agent made by the reaper's retry. */
async function secondAgent(twins: Twins, requestId: string, template: string): Promise<V1Pod> {
  expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'provisioned' });
  const first = podNameFor(template, requestId);
  const pod = structuredClone(twins.agents.pod(twins.namespace, first));
  if (!pod?.metadata) throw new Error(`no pod ${first}`);
  await twins.agents.deletePod(twins.namespace, first);
  twins.clock.advance(twins.config.reaper.lostGraceSeconds);
  expect(await reap(twins.reap)).toMatchObject({ lost: 1, retried: 1 });
  expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'provisioned' });
  expect(await twins.state.requests.get(requestId)).toMatchObject({
    status: 'provisioned',
    podName: podNameFor(template, requestId, 2),
  });
  // The first agent's pod is there again: the API server applied a create of it late.
  delete pod.metadata.uid;
  delete pod.metadata.resourceVersion;
  await twins.agents.createPod(pod);
  return pod;
}

describe("an earlier agent's pod beside the build's current one", () => {
  it('exiting, is removed as an orphan: it settles nothing, and the current agent keeps its slot', async () => {
    const twins = createTwins();
    const requestId = await queuedBuild(twins, 'build-57');
    const first = podNameFor('gen', requestId);
    const second = podNameFor('gen', requestId, 2);
    await secondAgent(twins, requestId, 'gen');
    expect(livePods(twins).sort()).toEqual([first, second].sort());
    twins.agents.setStatus(twins.namespace, second, { phase: 'Running' });
    finishPod(twins, first, 'Failed', 1);
    twins.clock.advance(5);
    await reap(twins.reap);
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'provisioned',
      holdsSlot: true,
      podName: second,
      retriesUsed: 1,
    });
    expect(livePods(twins)).toEqual([second]);
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
  });

  // Found by the second review: its deletion counted the request as settled, so the trim of a
  // lowered cap left that request out of the slots' holders and trimmed one agent too few.
  it('deleted, leaves its request among the holders a lowered cap trims', async () => {
    const twins = createTwins(
      flowConfigYaml.replace('instanceCap: 1, retries: 1', 'instanceCap: 3, retries: 1'),
    );
    const x = await queuedBuild(twins, 'trim-x');
    await secondAgent(twins, x, 'gen');
    twins.clock.advance(1);
    const y = await queuedBuild(twins, 'trim-y');
    expect(await provisionRequest(y, twins.provision)).toMatchObject({ kind: 'provisioned' });
    twins.agents.setStatus(twins.namespace, podNameFor('gen', x), { phase: 'Succeeded' });
    await twins.state.settings.update((current) => ({ ...current, templateCaps: { gen: 1 } }));
    const report = await reap(twins.reap);
    expect(report.deleted).toMatchObject({ finished: 1, 'over-cap': 1 });
    expect(livePods(twins)).toEqual([podNameFor('gen', x, 2)]);
    expect(await twins.state.requests.get(y)).toMatchObject({ status: 'waiting', holdsSlot: false });
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
  });

  // Found while a faulted storm left an earlier Jenkins agent registered (2026-12-06 08:50): its
  // running pod went whatever the CI said, and no record rule or message names an earlier agent.
  it('is kept while its CI cannot remove its agent, and goes once the CI does', async () => {
    const twins = createTwins();
    const ci = namedCi(twins);
    const requestId = await queuedBuild(twins, 'build-60e');
    const first = podNameFor('gen', requestId);
    const second = podNameFor('gen', requestId, 2);
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'provisioned' });
    const pod = structuredClone(twins.agents.pod(twins.namespace, first));
    if (!pod?.metadata) throw new Error(`no pod ${first}`);
    await twins.agents.deletePod(twins.namespace, first);
    twins.clock.advance(twins.config.reaper.lostGraceSeconds);
    expect(await reap(ci.reapPorts)).toMatchObject({ lost: 1, retried: 1 });
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ podName: second });
    // The first agent's pod applied late, and its agent registered again with it.
    delete pod.metadata.uid;
    delete pod.metadata.resourceVersion;
    await twins.agents.createPod(pod);
    ci.registered.add(first);
    for (const name of [first, second]) twins.agents.setStatus(twins.namespace, name, { phase: 'Running' });
    ci.state.down = true;
    twins.clock.advance(twins.config.reaper.orphanGraceSeconds + 1);
    expect(await reap(ci.reapPorts)).toMatchObject({ keptBusy: 1 });
    expect(livePods(twins).sort()).toEqual([first, second].sort());
    ci.state.down = false;
    twins.clock.advance(60);
    await reap(ci.reapPorts);
    expect(livePods(twins)).toEqual([second]);
    expect([...ci.registered]).toEqual([second]);
  });

  describe('a GitHub one', () => {
    let github: FakeGithub;
    beforeEach(async () => {
      github = await startFakeGithub({ tokens: [githubToken] });
    });
    afterEach(() => github.close());

    it("is removed by its own name, never by the current runner's id", async () => {
      const twins = createTwins(githubFlowYaml(github.url));
      const requestId = await recordGithubBuild(twins, 'acme/app#57', 'gh');
      await secondAgent(twins, requestId, 'gh');
      const second = podNameFor('gh', requestId, 2);
      const current = await twins.state.requests.get(requestId);
      expect(github.state.runners.map((runner) => [runner.name, String(runner.id)])).toEqual([
        [second, current?.externalId],
      ]);

      twins.clock.advance(twins.config.reaper.orphanGraceSeconds + 1);
      await reap(twins.reap);
      expect(livePods(twins)).toEqual([second]);
      expect(github.state.runners.map((runner) => runner.name)).toEqual([second]);
    });
  });
});

/** Generic-CI ports whose agent request waits until `fail` is called, then fails for now. */
function failingSlowCi(twins: Twins): { ports: ProvisionPorts; atCi: Promise<void>; fail: () => void } {
  let fail: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (fail = resolve));
  let reached: () => void = () => undefined;
  const atCi = new Promise<void>((resolve) => (reached = resolve));
  const ports = withCiAdapter(twins, () => ({
    async createAgentCredentials() {
      reached();
      await gate;
      throw new CiUnavailableError('the CI timed out');
    },
  }));
  return { ports, atCi, fail: () => fail() };
}

// Found by a review of bug 57: the failing attempt's release held only to `holdsSlot` and the move's
// states, so it gave back the slot the reaper's retry had given another attempt since, and took
// back that attempt's count, so the next reserve named its pod as that agent, which had run.
describe('an attempt that fails after the reaper gave its request to another attempt', () => {
  it("leaves that attempt's slot, count and name alone", async () => {
    const twins = createTwins();
    const requestId = await queuedBuild(twins, 'stale-undo');
    const first = podNameFor('gen', requestId);
    const second = podNameFor('gen', requestId, 2);
    // An attempt reserved the first agent and died before making its pod.
    expect(
      await twins.state.capacity.reserve({
        requestId,
        template: 'gen',
        podName: first,
        attempts: 0,
        globalCap: 5,
        templateCap: 1,
        attemptSeconds: 30,
      }),
    ).toEqual({ reserved: true });
    twins.clock.advance(twins.config.reaper.staleQueuedSeconds);
    // A late delivery resumes it and waits on a slow CI, while the reaper finds the request lost
    // and retries it, and the retry's message makes the second agent.
    const slow = failingSlowCi(twins);
    const resumed = provisionRequest(requestId, slow.ports);
    await slow.atCi;
    // The reaper leaves the request to that attempt while it holds it...
    expect(await reap(twins.reap)).toMatchObject({ lost: 0, retried: 0 });
    // ...and takes it over once the attempt outlives its time (Lambda's timeout stops it first).
    twins.clock.advance(attemptSeconds + 1);
    expect(await reap(twins.reap)).toMatchObject({ lost: 1, retried: 1 });
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({
      kind: 'provisioned',
      podName: second,
    });
    // The late delivery's CI call fails for now.
    slow.fail();
    await expect(resumed).rejects.toBeInstanceOf(RetryLaterError);
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'provisioned',
      holdsSlot: true,
      podName: second,
      attempts: 2,
    });
    expect(livePods(twins)).toEqual([second]);
    expect(await slots(twins)).toEqual({ global: 1, templates: { gen: 1 } });
    // Its message, delivered again, finds the agent made.
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'skipped' });
  });
});

// Found by the faulted storm on the fixes: an attempt slow at the CI registered its runner after the
// reaper's lost rule had given the build another agent, then failed for now; its release was
// refused (the slot is the later attempt's), and nothing pointed at its runner any more.
describe('an attempt whose CI registered its agent after the reaper gave the build another', () => {
  let github: FakeGithub;
  beforeEach(async () => {
    github = await startFakeGithub({ tokens: [githubToken] });
  });
  afterEach(() => github.close());

  it('removes that agent when it fails, leaving the later one', async () => {
    const twins = createTwins(githubFlowYaml(github.url));
    const requestId = await recordGithubBuild(twins, 'acme/app#58', 'gh');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reached: () => void = () => undefined;
    const atCi = new Promise<void>((resolve) => (reached = resolve));
    const slow = withCiAdapter(
      twins,
      (real) => ({
        async createAgentCredentials(request) {
          reached();
          await gate;
          return real.createAgentCredentials(request);
        },
      }),
      'github',
    );
    const late = provisionRequest(requestId, {
      ...slow,
      agents: {
        ...slow.agents,
        createPod: async () => {
          throw new ClusterUnavailableError('the API server timed out', 504);
        },
      },
    });
    await atCi;
    // The attempt outlives its time (Lambda's timeout stops it first), and the reaper takes over.
    twins.clock.advance(twins.config.reaper.staleQueuedSeconds);
    expect(await reap(twins.reap)).toMatchObject({ lost: 1, retried: 1 });
    const second = podNameFor('gh', requestId, 2);
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({
      kind: 'provisioned',
      podName: second,
    });
    release();
    await expect(late).rejects.toBeInstanceOf(RetryLaterError);
    expect(github.state.runners.map((runner) => runner.name)).toEqual([second]);
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'provisioned',
      holdsSlot: true,
      podName: second,
    });
    expect(livePods(twins)).toEqual([second]);
  });
});
