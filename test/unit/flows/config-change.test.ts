import { crashingPorts } from '../../../infra/local/stand-ins/crash-ports';
import { type FakeGithub, startFakeGithub } from '../../../infra/local/stand-ins/github-api';
import { type FakeJenkins, startFakeJenkins } from '../../../infra/local/stand-ins/jenkins-api';
import { provisionRequest } from '../../../shared/provision';
import { ClusterUnavailableError } from '../../../shared/cluster/errors';
import { reap } from '../../../shared/reap';
import { podNameFor } from '../../../shared/requests/identity';
import { fromStatesOf, fromTheStateRead } from '../../../shared/requests/transitions';
import { receiveWebhook } from '../../../shared/webhook';
import {
  createTwins,
  finishPod,
  genericDelivery,
  genericFlowYaml,
  genericRequestId,
  githubFlowYaml,
  livePods,
  namedCi,
  provisionInTurn,
  recordGithubBuild,
  recordJenkinsBuild,
  recordQueued,
  reconfigure,
  runPod,
  slots,
  type Twins,
} from './twins';

/**
 * A config changed and deployed while builds are in flight (docs/deploy.md, "Changing the config"):
 * each function's ports are built again from the new config over the same state, cluster and queue
 * (reconfigure.ts), as a deploy of a newly packaged config does.
 */
const genericYaml = (templates: string) => genericFlowYaml(`${templates}\n`);
const gen = '  - { name: gen, source: generic, labels: [linux], image: busybox, instanceCap: 2, retries: 1 }';
const other = '  - { name: other, source: generic, labels: [other], image: busybox, instanceCap: 2 }';

/** Generic and Jenkins (its template `jk` too, unless `jk` is false), the Jenkins stand-in at `url`. */
const withJenkins = (url: string, jk = true) =>
  genericFlowYaml(
    `  - { name: gen, source: generic, labels: [linux], image: busybox, instanceCap: 2 }
${jk ? '  - { name: jk, source: jenkins, labels: [jk], instanceCap: 2, idleMinutes: 10 }\n' : ''}`,
    {
      sources: `  jenkins:
    webhookSecret: { value: jenkins-config-change-secret }
    url: ${url}
    user: pitcrew
    apiToken: { value: jenkins-api-token }
`,
    },
  );
const genericOnly = genericYaml(
  '  - { name: gen, source: generic, labels: [linux], image: busybox, instanceCap: 2 }',
);

/** Runs the reaper `runs` times a few minutes apart, provisioning what each run sends. */
async function reapRuns(twins: Twins, runs: number): Promise<void> {
  for (let run = 0; run < runs; run += 1) {
    twins.clock.advance(300);
    await reap(twins.reap);
    for (const id of twins.queue.sentIds()) await provisionRequest(id, twins.provision);
    twins.queue.clear();
  }
}

describe('a repository taken off sources.github.repositories while its job waits (bug 97)', () => {
  let github: FakeGithub;
  beforeEach(async () => {
    github = await startFakeGithub({ tokens: ['ghp_PitcrewTestToken0123456789abcdefABCD'] });
  });
  afterEach(() => github.close());

  it('gets no runner once the narrowed config is deployed: provision judges the allow-list again', async () => {
    const twins = createTwins(githubFlowYaml(github.url));
    const requestId = await recordGithubBuild(twins, 'acme/app#9', 'gh');
    // Its message, a wake, a resend, a retry or a redrive reaches the new provision function.
    const after = reconfigure(
      twins,
      githubFlowYaml(github.url).replace('repositories: [acme/*]', 'repositories: [acme/deploy]'),
    );
    expect(await provisionRequest(requestId, after.provision)).toEqual({
      kind: 'failed',
      reason: 'acme/app is not among sources.github.repositories',
    });
    expect(github.state.runners).toEqual([]);
    expect(livePods(after)).toEqual([]);
    expect(await slots(after)).toMatchObject({ global: 0 });
  });
});

describe('a template removed (or renamed) while its builds are in flight', () => {
  const before = genericYaml(`${gen}\n${other}`);
  const withoutGen = genericYaml(other);

  it('lets a build running on its agent finish: its pod is not deleted as an orphan (bug 98)', async () => {
    const twins = createTwins(before);
    const ci = namedCi(twins);
    const requestId = await recordQueued(twins, 'build-1');
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'provisioned' });
    const pod = podNameFor('gen', requestId);
    runPod(twins, pod);
    await receiveWebhook(genericDelivery(twins, 'started', 'build-1'), twins.webhook);

    const after = reconfigure(twins, withoutGen, { sources: ci.provision.sources });
    after.clock.advance(121);
    await reap(after.reap);
    expect(livePods(after)).toEqual([pod]);
    expect(await after.state.requests.get(requestId)).toMatchObject({ status: 'started', holdsSlot: true });
    // It ends as any build does: the agent exits, the pod goes, the slot comes back.
    finishPod(after, pod, 'Succeeded', 0);
    await reapRuns(after, 1);
    expect(livePods(after)).toEqual([]);
    expect(await after.state.requests.get(requestId)).toMatchObject({
      status: 'completed',
      holdsSlot: false,
    });
    expect(await slots(after)).toMatchObject({ global: 0 });
  });

  it.each([
    ['the API server answering', 'up'],
    ['the API server down: delivered again, then answering', 'down once'],
    ['the API server down on the last delivery: the CI is asked all the same', 'down at the last'],
  ])(
    'removes the agent an interrupted attempt registered at the CI when it fails the build (bug 99), %s',
    async (_name, api) => {
      const twins = createTwins(before);
      const ci = namedCi(twins);
      const requestId = await recordQueued(twins, 'build-1');
      // An attempt registers the agent and dies before its pod (a Lambda timeout, a crash).
      const { ports, crashed } = crashingPorts(ci.provision, 'after-credentials');
      void provisionRequest(requestId, ports);
      await crashed;
      expect([...ci.registered]).toEqual([podNameFor('gen', requestId)]);

      // SQS delivers the message again, to the function deployed without the template.
      const after = reconfigure(twins, withoutGen, { sources: ci.provision.sources });
      // Queued long enough ago that the template is gone, not being added by a deploy (below).
      after.clock.advance(901);
      const down = async (): Promise<never> => {
        throw new ClusterUnavailableError('the API server timed out', 504);
      };
      const apiDown = {
        ...after.provision,
        agents: { ...after.provision.agents, findAgent: down, deletePod: down },
      };
      if (api === 'down once') {
        // Whether a pod runs the agent cannot be told: removing it might cut a build short.
        await expect(provisionRequest(requestId, apiDown)).rejects.toThrow('cannot tell whether pod');
        expect([...ci.registered]).toEqual([podNameFor('gen', requestId)]);
      }
      const last = api === 'down at the last';
      expect(await provisionRequest(requestId, last ? apiDown : after.provision, last)).toMatchObject({
        kind: 'failed',
        reason: "template 'gen' is no longer configured",
      });
      expect(await slots(after)).toMatchObject({ global: 0 });
      // The failed request is read by no reaper run: the attempt's own failure removed the agent.
      expect([...ci.registered]).toEqual([]);
    },
  );

  it('fails a build waiting at its cap once queued for staleQueuedSeconds, as provision fails a queued one (bug 100)', async () => {
    const twins = createTwins(before);
    const ids = await provisionInTurn(twins, ['build-1', 'build-2', 'build-3']);
    const waiting = ids[2]!;
    expect(await twins.state.requests.get(waiting)).toMatchObject({ status: 'waiting' });

    const after = reconfigure(twins, withoutGen);
    after.queue.clear();
    // Not within staleQueuedSeconds of its queueing: a reaper of the release before a deploy that
    // adds a template must not fail the new release's builds (below).
    after.clock.advance(60);
    expect(await reap(after.reap)).toMatchObject({ unserved: 0 });
    after.clock.advance(900);
    const report = await reap(after.reap);
    expect(report.unserved).toBe(1);
    expect(await after.state.requests.get(waiting)).toMatchObject({
      status: 'failed',
      reason: "template 'gen' is no longer configured",
      holdsSlot: false,
    });
  });
});

describe('a removed template whose interrupted attempt left a runner that took another job', () => {
  let github: FakeGithub;
  beforeEach(async () => {
    github = await startFakeGithub({ tokens: ['ghp_PitcrewTestToken0123456789abcdefABCD'] });
  });
  afterEach(() => github.close());

  it("fails the build but leaves the runner to finish that job, as the reaper does (bug 99's fix)", async () => {
    const gh = '  - { name: gh, source: github, labels: [self-hosted, linux], instanceCap: 2, retries: 1 }\n';
    const gpu = '  - { name: gpu, source: github, labels: [self-hosted, gpu], instanceCap: 2 }\n';
    const yaml = githubFlowYaml(github.url).replace(gh, gh + gpu);
    const twins = createTwins(yaml);
    const requestId = await recordGithubBuild(twins, 'acme/app#9', 'gh');
    // The attempt makes its runner, pod and Secret and dies before it records the pod.
    const { ports, crashed } = crashingPorts(twins.provision, 'after-secret');
    void provisionRequest(requestId, ports);
    await crashed;
    const pod = podNameFor('gh', requestId);
    // The runner connects and takes another job of acme/app: GitHub calls it busy.
    runPod(twins, pod);
    github.state.runners[0]!.busy = true;

    const after = reconfigure(twins, yaml.replace(gh, ''));
    after.clock.advance(901);
    expect(await provisionRequest(requestId, after.provision)).toMatchObject({
      kind: 'failed',
      reason: "template 'gh' is no longer configured",
    });
    expect(livePods(after)).toEqual([pod]);
    await reap(after.reap);
    expect(livePods(after)).toEqual([pod]);
  });
});

describe('a removed Jenkins template whose interrupted attempt left a node running a build', () => {
  let jenkins: FakeJenkins;
  beforeEach(async () => {
    jenkins = await startFakeJenkins({ user: 'pitcrew', apiToken: 'jenkins-api-token' });
  });
  afterEach(() => jenkins.close());

  // Jenkins deletes a node busy or not, and a CI the config no longer has is not asked at all: the
  // attempt must leave an agent whose pod exists to the reaper, which asks whether it is idle.
  it.each([
    ['the template removed, Jenkins still configured', true],
    ['the template and Jenkins removed', false],
  ])('%s: the redelivered attempt fails the build and leaves the node and its pod', async (_name, keepCi) => {
    const twins = createTwins(withJenkins(jenkins.url));
    const requestId = await recordJenkinsBuild(twins, {
      controllerUrl: jenkins.url,
      label: 'jk',
      template: 'jk',
    });
    const { ports, crashed } = crashingPorts(twins.provision, 'after-secret');
    void provisionRequest(requestId, ports);
    await crashed;
    const pod = podNameFor('jk', requestId);
    const node = jenkins.state.nodes.get(pod)!;
    node.online = true;
    node.busy = true;
    runPod(twins, pod);

    const after = reconfigure(twins, keepCi ? withJenkins(jenkins.url, false) : genericOnly);
    after.clock.advance(901);
    expect(await provisionRequest(requestId, after.provision)).toMatchObject({
      kind: 'failed',
      reason: "template 'jk' is no longer configured",
    });
    expect(livePods(after)).toEqual([pod]);
    expect(jenkins.state.nodes.has(pod)).toBe(true);
    await reap(after.reap);
    expect(livePods(after)).toEqual([pod]);
  });
});

describe('a template added by a deploy, met by the release before it during the swap', () => {
  it("fails none of the new template's builds: its reaper leaves them, its provision lets SQS deliver them again", async () => {
    const old = createTwins(genericYaml(gen));
    const fresh = reconfigure(
      old,
      genericYaml(
        `${gen}\n  - { name: gpu, source: generic, labels: [gpu], image: busybox, instanceCap: 2 }`,
      ),
    );
    expect(
      await receiveWebhook(genericDelivery(fresh, 'queued', 'gpu-1', { labels: ['gpu'] }), fresh.webhook),
    ).toMatchObject({ kind: 'accepted' });
    expect(await reap(old.reap)).toMatchObject({ unserved: 0 });
    // A provision container of the release before takes the message first: SQS delivers it again.
    const [id] = fresh.queue.sentIds();
    await expect(provisionRequest(id!, old.provision)).rejects.toThrow(
      "template 'gpu' is not configured here yet",
    );
    expect(await fresh.state.requests.get(id!)).toMatchObject({ status: 'queued' });
    for (const id of fresh.queue.sentIds()) await provisionRequest(id, fresh.provision);
    expect(await fresh.state.requests.get(genericRequestId('gpu-1'))).toMatchObject({
      status: 'provisioned',
    });
  });
});

describe('a CI source removed while its build runs on a Pitcrew agent (bug 101)', () => {
  let jenkins: FakeJenkins;
  let twins: Twins;
  let requestId: string;
  let pod: string;
  beforeEach(async () => {
    jenkins = await startFakeJenkins({ user: 'pitcrew', apiToken: 'jenkins-api-token' });
    twins = createTwins(withJenkins(jenkins.url));
    requestId = await recordJenkinsBuild(twins, { controllerUrl: jenkins.url, label: 'jk', template: 'jk' });
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'provisioned' });
    pod = podNameFor('jk', requestId);
    // The agent connects and Jenkins runs the build on it; the CI says so.
    const node = jenkins.state.nodes.get(pod)!;
    node.online = true;
    node.busy = true;
    runPod(twins, pod);
    expect(
      await twins.state.requests.transition(
        requestId,
        fromTheStateRead('start', 'provisioned'),
        'started',
        {},
      ),
    ).toMatchObject({ status: 'started' });
  });
  afterEach(() => jenkins.close());

  it('keeps the pod of a build Jenkins still runs on it, as with Jenkins configured', async () => {
    for (const config of [withJenkins(jenkins.url), genericOnly]) {
      const after = reconfigure(twins, config);
      after.clock.advance(121);
      await reap(after.reap);
      expect(livePods(after)).toEqual([pod]);
    }
  });

  it('once the build is over, gives the slot back, deletes the pod and names the node left at Jenkins in an error', async () => {
    const errors: { message: string; fields: unknown }[] = [];
    const logger = {
      ...twins.reap.logger,
      error: (message: string, fields?: unknown) => void errors.push({ message, fields }),
    };
    const after = reconfigure(twins, genericOnly, { logger });
    // The build ends; Jenkins's completed event has nowhere to go (the source is gone), the agent exits.
    jenkins.state.nodes.get(pod)!.busy = false;
    finishPod(after, pod, 'Succeeded', 0);
    await reapRuns(after, 2);
    expect(await after.state.requests.get(requestId)).toMatchObject({ holdsSlot: false });
    expect(after.agents.pods(after.namespace)).toEqual([]);
    expect(await slots(after)).toMatchObject({ global: 0 });
    // No function holds Jenkins's code or credentials any more: the operator removes the node.
    expect([...jenkins.state.nodes.keys()]).toEqual([pod]);
    expect(errors).toContainEqual({
      message: 'agent left at a CI the config no longer has: remove it there by hand',
      fields: { agentName: pod, source: 'jenkins' },
    });
  });

  it('keeps the pod while its agent runs, though a sidecar still starting keeps the pod Pending', async () => {
    // Its build was cancelled and the spare node took another: an orphan, busy at Jenkins.
    expect(await twins.state.capacity.release(requestId, 'jk', 'cancelled', 'cancelled at Jenkins')).toBe(
      true,
    );
    runPod(twins, pod, 'Pending');
    const after = reconfigure(twins, genericOnly);
    await reapRuns(after, 2);
    expect(livePods(after)).toEqual([pod]);
  });

  it('deletes an orphan whose agent image will not pull, though the pod has a start time', async () => {
    expect(await twins.state.capacity.release(requestId, 'jk', 'cancelled', 'cancelled at Jenkins')).toBe(
      true,
    );
    twins.agents.setStatus(twins.namespace, pod, {
      phase: 'Pending',
      startTime: twins.clock.now(),
      containerStatuses: [
        {
          name: 'agent',
          image: 'jenkins/inbound-agent',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'ImagePullBackOff' } },
        },
      ],
    });
    const after = reconfigure(twins, genericOnly);
    await reapRuns(after, 2);
    expect(livePods(after)).toEqual([]);
  });

  describe('its pod never got a node (the Kubernetes deadline counts from a start it never had)', () => {
    const unschedulable = {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes' }],
    };

    it.each([
      ['ending (its queue item cancelled, the message lost)', 'ending'],
      ['ended (its slot given back, its pod left)', 'cancelled'],
    ])('%s: its pod goes, and the slot with it', async (_name, state) => {
      twins.agents.setStatus(twins.namespace, pod, unschedulable as never);
      if (state === 'ending')
        expect(
          await twins.state.requests.transition(requestId, fromStatesOf('mark-ending'), 'ending', {
            endAs: 'cancelled',
          }),
        ).toMatchObject({ status: 'ending' });
      else
        expect(await twins.state.capacity.release(requestId, 'jk', 'cancelled', 'cancelled at Jenkins')).toBe(
          true,
        );
      const after = reconfigure(twins, genericOnly);
      await reapRuns(after, 2);
      expect(livePods(after)).toEqual([]);
      expect(await slots(after)).toMatchObject({ global: 0 });
    });
  });
});
