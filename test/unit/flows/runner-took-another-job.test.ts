/**
 * A GitLab runner is an ordinary project runner, so the one Pitcrew made for job A may take another
 * pending job B of the project with the same tags (docs/gitlab.md), B's own request waiting at the
 * cap or B having none (its `pending` hook lost). The runner runs B and exits (`--max-builds 1`),
 * while A's request is still `provisioned`: A never started. The reaper's `finished` rule ended A
 * `completed`, and A, still pending at GitLab, never got a runner: the poll lists it, but its request
 * is known (a review of the GitLab paths, 2026-12-05). Now the reaper asks the CI whether it still
 * waits to run such a build (the adapter's `buildWaits`) and queues it again if so.
 */
import { type FakeGitlab, startFakeGitlab } from '../../../infra/local/stand-ins/gitlab-api';
import { provisionRequest } from '../../../shared/provision';
import { reap, type ReapPorts } from '../../../shared/reap';
import { crashingPorts } from '../../../infra/local/stand-ins/crash-ports';
import { podNameFor, requestIdFor } from '../../../shared/requests/identity';
import { signedHeadersFor } from '../../../shared/sources/signing';
import { receiveWebhook, type WebhookRequest } from '../../../shared/webhook';
import { createTwins, livePods, type Twins } from './twins';

const token = 'glpat-PitcrewReviewToken0123456789';
const webhookToken = 'gitlab-review-webhook-token';

const yaml = (apiUrl: string) => `
cluster:
  credentials: { kind: kubeconfig, path: /tmp/k }
capacity: { globalCap: 5 }
sources:
  gitlab:
    webhookSecret: { value: ${webhookToken} }
    apiUrl: ${apiUrl}
    apiToken: { value: ${token} }
    projects: [acme/app]
    tags: [linux]
    pollProjects: [acme/app]
templates:
  - { name: gl, source: gitlab, labels: [linux], image: gitlab/gitlab-runner:alpine, instanceCap: 2, retries: 1 }
reaper:
  orphanGraceSeconds: 120
  lostGraceSeconds: 60
  staleQueuedSeconds: 900
`;

describe('a GitLab build whose runner finished before the build started on it', () => {
  let gitlab: FakeGitlab;
  let twins: Twins;
  let a: string;
  let podA: string;
  beforeEach(async () => {
    gitlab = await startFakeGitlab({
      tokens: [token],
      projects: [{ id: 42, path: 'acme/app', visibility: 'private' }],
    });
    twins = createTwins(yaml(gitlab.url));
    // Job A (7) is pending and Pitcrew makes its runner.
    gitlab.state.jobs.push({ id: 7, projectId: 42, status: 'pending', tagList: ['linux'] });
    expect(await receiveWebhook(jobHook('pending', 7), twins.webhook)).toMatchObject({ kind: 'accepted' });
    a = requestIdFor('gitlab', '42:7');
    podA = podNameFor('gl', a);
    twins.queue.clear();
  });
  afterEach(() => gitlab.close());

  function jobHook(status: string, jobId: number): WebhookRequest {
    const body = JSON.stringify({
      object_kind: 'build',
      build_id: jobId,
      build_status: status,
      build_created_at: new Date(twins.clock.ms() - 60_000).toISOString(),
      project_id: 42,
      project: {
        id: 42,
        web_url: 'https://gitlab.example.com/acme/app',
        visibility_level: 0,
        path_with_namespace: 'acme/app',
      },
    });
    return {
      source: 'gitlab',
      rawBody: Buffer.from(body),
      headers: {
        'content-type': 'application/json',
        'x-gitlab-event': 'Job Hook',
        'x-gitlab-event-uuid': `uuid-${status}-${jobId}`,
        ...signedHeadersFor('gitlab', body, webhookToken, twins.clock.ms()),
      },
    };
  }

  /** A's runner is made and comes up. */
  const provisionA = async (): Promise<void> => {
    expect(await provisionRequest(a, twins.provision)).toMatchObject({ kind: 'provisioned' });
    expect(gitlab.state.runners.map((runner) => runner.description)).toEqual([podA]);
    twins.agents.setStatus(twins.namespace, podA, { phase: 'Running' });
  };
  const job7 = () => gitlab.state.jobs.find((job) => job.id === 7);
  /** A's agent now: each agent a build is given again has a name of its own (podNameFor). */
  const podOfA = async (): Promise<string> => (await twins.state.requests.get(a))?.podName ?? '?';
  const secondPodA = () => podNameFor('gl', a, 2);

  const phaseOf = (name: string) =>
    twins.agents.pods(twins.namespace).find((pod) => pod.metadata?.name === name)?.status?.phase;

  /** The reaper (its poll among it), then every message it sent, as the provision function takes them. */
  const reapAndProvision = async (ports: ReapPorts = twins.reap): Promise<void> => {
    await reap(ports);
    for (const id of twins.queue.sentIds())
      await provisionRequest(id, twins.provision).catch(() => undefined);
    twins.queue.clear();
  };

  /** Job B (5, older, same tags, its hook lost) goes to A's runner, runs and ends; the runner exits. */
  const runnerRunsAnotherJob = async (): Promise<void> => {
    gitlab.state.jobs.push({ id: 5, projectId: 42, status: 'running', tagList: ['linux'] });
    await receiveWebhook(jobHook('running', 5), twins.webhook);
    await receiveWebhook(jobHook('success', 5), twins.webhook);
    const jobB = gitlab.state.jobs.find((job) => job.id === 5);
    if (jobB) jobB.status = 'success';
    twins.agents.setStatus(twins.namespace, podA, { phase: 'Succeeded' });
    twins.clock.advance(5);
  };

  it('is queued again while GitLab still waits to run it, and gets a new runner', async () => {
    await provisionA();
    await runnerRunsAnotherJob();
    await reapAndProvision();
    expect((await twins.state.requests.get(a))?.status).toBe('provisioned');
    expect(secondPodA()).not.toBe(podA);
    expect(livePods(twins)).toEqual([secondPodA()]);
    // One runner, the new one: the finished one was deleted at GitLab.
    expect(gitlab.state.runners.map((runner) => runner.description)).toEqual([secondPodA()]);
  });

  it('ends as before when GitLab no longer waits to run it (its start event was lost)', async () => {
    await provisionA();
    // Its own runner ran it: the `running` hook lost, the job over at GitLab.
    const job = gitlab.state.jobs.find((candidate) => candidate.id === 7);
    if (job) job.status = 'success';
    twins.agents.setStatus(twins.namespace, podA, { phase: 'Succeeded' });
    twins.clock.advance(5);
    await reapAndProvision();
    expect(await twins.state.requests.get(a)).toMatchObject({ status: 'completed', holdsSlot: false });
    expect(livePods(twins)).toEqual([]);
    expect(gitlab.state.runners).toEqual([]);
  });

  it('waits for the next run while GitLab cannot say, keeping the finished pod and the slot', async () => {
    await provisionA();
    await runnerRunsAnotherJob();
    gitlab.failNext(1, { status: 503, method: 'GET', path: /\/jobs\/7$/ });
    await reapAndProvision();
    expect(await twins.state.requests.get(a)).toMatchObject({ status: 'provisioned', holdsSlot: true });
    expect(phaseOf(podA)).toBe('Succeeded');
    twins.clock.advance(60);
    await reapAndProvision();
    expect((await twins.state.requests.get(a))?.status).toBe('provisioned');
    expect(livePods(twins)).toEqual([secondPodA()]);
    expect(phaseOf(podA)).toBeUndefined();
  });

  // Found by a review of the fix: a runner that fails at once fails every time (a bad image or
  // command), and was queued again every reaper run, no retry used, holding a slot.
  it('uses a retry, not a free requeue, when its runner failed: a runner that fails at once ends the build', async () => {
    await provisionA();
    const made: string[] = [];
    for (let cycle = 0; cycle < 6 && livePods(twins).includes(await podOfA()); cycle++) {
      made.push(await podOfA());
      twins.agents.setStatus(twins.namespace, await podOfA(), {
        phase: 'Failed',
        containerStatuses: [
          {
            name: 'agent',
            image: 'gitlab/gitlab-runner:alpine',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 127, reason: 'Error' } },
          },
        ],
      });
      twins.clock.advance(61);
      await reapAndProvision();
    }
    expect(job7()?.status).toBe('pending');
    // The template's one retry: its first agent and one more, then `failed`, saying why.
    expect(made).toEqual([podA, secondPodA()]);
    expect(await twins.state.requests.get(a)).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('the agent exited with code 127 (Error)'),
    });
  });

  it('ends a build still waiting once it is older than reaper.maxWaitHours, not queued again for good', async () => {
    await provisionA();
    await runnerRunsAnotherJob();
    twins.clock.advance(24 * 3600);
    await reapAndProvision();
    // Its one retry first (the template's), then `failed`.
    expect((await twins.state.requests.get(a))?.status).toBe('provisioned');
    twins.agents.setStatus(twins.namespace, await podOfA(), { phase: 'Succeeded' });
    twins.clock.advance(61);
    await reapAndProvision();
    expect((await twins.state.requests.get(a))?.status).toBe('failed');
  });

  it('asks for a build whose attempt died after its pod too (`provisioning`)', async () => {
    // The attempt is killed right after the pod's Secret, before it records the pod.
    const { ports, crashed } = crashingPorts(twins.provision, 'after-secret');
    void provisionRequest(a, ports);
    await crashed;
    expect(await twins.state.requests.get(a)).toMatchObject({ status: 'provisioning', holdsSlot: true });
    // The runner takes job 5 (its hook lost), runs it and exits, within the message's visibility.
    gitlab.state.jobs.push({ id: 5, projectId: 42, status: 'success', tagList: ['linux'] });
    twins.agents.setStatus(twins.namespace, podA, { phase: 'Succeeded' });
    twins.clock.advance(61);
    await reapAndProvision();
    // SQS delivers the dead attempt's message again.
    twins.clock.advance(120);
    await provisionRequest(a, twins.provision).catch(() => undefined);
    twins.queue.clear();
    expect(job7()?.status).toBe('pending');
    expect((await twins.state.requests.get(a))?.status).toBe('provisioned');
    expect(livePods(twins)).toEqual([secondPodA()]);
  });

  it('leaves a start written between its question and its requeue: the CI’s word stands', async () => {
    await provisionA();
    await runnerRunsAnotherJob();
    // Right after GitLab answers "pending", another runner (a static one) takes job 7, and its
    // `running` hook reaches the webhook before the reaper settles.
    const gl = twins.reap.sources.gitlab;
    const asked = gl?.adapter.buildWaits?.bind(gl.adapter);
    if (!gl || !asked) throw new Error('the GitLab adapter has no buildWaits');
    const racing: ReapPorts = {
      ...twins.reap,
      sources: {
        ...twins.reap.sources,
        gitlab: {
          ...gl,
          adapter: {
            ...gl.adapter,
            async buildWaits(request) {
              const waits = await asked(request);
              const job = job7();
              if (job) job.status = 'running';
              expect(await receiveWebhook(jobHook('running', 7), twins.webhook)).toMatchObject({
                status: 'started',
              });
              return waits;
            },
          },
        },
      },
    };
    await reapAndProvision(racing);
    expect((await twins.state.requests.get(a))?.status).toBe('started');
  });
});
