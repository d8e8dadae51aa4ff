import { CiAgentBusyError, CiRejectedError, CiUnavailableError } from '../../../../shared/sources/errors';
import {
  createGitlabSource,
  type GitlabSourceOptions,
  runnerTokenEnvName,
} from '../../../../shared/sources/gitlab';
import type { AgentRequest } from '../../../../shared/sources/types';
import { type FakeGitlab, startFakeGitlab } from '../../../../infra/local/stand-ins/gitlab-api';

const token = 'glpat-PitcrewTestToken0123456789';

const request: AgentRequest = {
  requestId: 'req-0001',
  agentName: 'pitcrew-linux-0001',
  labels: ['linux', 'docker'],
  details: { source: 'gitlab', projectId: 42, projectPath: 'acme/app', jobId: 7 },
};

describe('GitLab adapter, against the stand-in', () => {
  let gitlab: FakeGitlab;
  const source = (options: Partial<GitlabSourceOptions> = {}) =>
    createGitlabSource({ apiUrl: gitlab.url, token, tags: ['linux', 'docker'], ...options });
  const calls = () => gitlab.state.requests.map((r) => `${r.method} ${r.path}`);
  const job = (status: string, tagList: readonly string[]) =>
    gitlab.state.jobs.push({ id: 7, projectId: 42, status, tagList });

  beforeEach(async () => {
    gitlab = await startFakeGitlab({ tokens: [token], projects: [{ id: 42, path: 'acme/app' }] });
  });
  afterEach(() => gitlab.close());

  describe('createAgentCredentials', () => {
    it("reads the job's tags, makes a project runner with exactly them, and hands its token to the Secret only", async () => {
      job('pending', ['linux']);
      const credentials = await source().createAgentCredentials(request);

      const [runner] = gitlab.state.runners;
      expect(runner).toMatchObject({
        projectId: 42,
        description: 'pitcrew-linux-0001',
        tagList: ['linux'],
        runUntagged: false,
        locked: true,
      });
      expect(credentials).toEqual({
        secretEnv: { [runnerTokenEnvName]: runner?.token },
        env: {
          CI_SERVER_URL: gitlab.url,
          RUNNER_NAME: 'pitcrew-linux-0001',
          RUNNER_EXECUTOR: 'shell',
          RUNNER_BUILDS_DIR: '/tmp/builds',
        },
        externalId: String(runner?.id),
      });
      expect(runner?.token).toMatch(/^glrt-/);
      expect(JSON.stringify(credentials.env)).not.toContain(runner?.token);
      // The project and the job are read together, then the runner made.
      expect(calls().slice(0, 2).sort()).toEqual(['GET /projects/42', 'GET /projects/42/jobs/7']);
      expect(calls().slice(2)).toEqual(['POST /user/runners']);
      expect(gitlab.state.requests.every((r) => r.headers['user-agent'] === 'pitcrew')).toBe(true);
    });

    describe('checks the project at GitLab against what the delivery said, whatever that was', () => {
      const project = async (path: string, visibility: 'private' | 'internal' | 'public') => {
        await gitlab.close();
        gitlab = await startFakeGitlab({ tokens: [token], projects: [{ id: 42, path, visibility }] });
        job('pending', ['linux']);
      };
      const refusal = async (options: Partial<GitlabSourceOptions> = {}) => {
        const error = await source(options)
          .createAgentCredentials(request)
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(CiRejectedError);
        expect(error).toMatchObject({ retryable: false });
        expect(gitlab.state.runners).toEqual([]);
        return (error as Error).message;
      };

      it('refuses for good a project id that is another project than the path judged', async () => {
        await project('other-group/secret-app', 'private');
        expect(await refusal()).toBe(
          'project 42 is other-group/secret-app at GitLab, not acme/app as its delivery said',
        );
      });

      it('refuses for good a public project, unless allowPublicProjects', async () => {
        await project('Acme/App', 'public');
        expect(await refusal()).toBe(
          "Acme/App is public at GitLab, though its delivery said it was not: anyone's merge request could run on the runner (sources.gitlab.allowPublicProjects is false)",
        );
        await source({ allowPublicProjects: true }).createAgentCredentials(request);
        expect(gitlab.state.runners).toHaveLength(1);
      });

      it('gives the permanent refusal when both reads fail, whichever failed first', async () => {
        job('success', ['linux']);
        gitlab.failNext(1, { status: 503, path: /^\/projects\/42$/ });
        const error = await source()
          .createAgentCredentials(request)
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(CiRejectedError);
        expect((error as Error).message).toContain('is success, no longer pending');
        expect(gitlab.state.runners).toEqual([]);
      });

      it('makes the runner for an internal project, as the trust rules count it not public', async () => {
        await project('acme/app', 'internal');
        await source().createAgentCredentials(request);
        expect(gitlab.state.runners).toHaveLength(1);
      });
    });

    it('sends the token only in PRIVATE-TOKEN (the stand-in records no credential)', async () => {
      job('pending', ['linux']);
      await source().createAgentCredentials(request);
      expect(JSON.stringify(gitlab.state.requests)).not.toContain(token);
    });

    it.each<[string, string, readonly string[], RegExp]>([
      ['a job no longer pending', 'running', ['linux'], /is running, no longer pending/],
      ['an untagged job', 'pending', [], /has no tags/],
      [
        'a job asking for a tag not served',
        'pending',
        ['linux', 'windows'],
        /not all among sources.gitlab.tags/,
      ],
    ])('refuses for good %s, and makes no runner', async (_what, status, tags, message) => {
      job(status, tags);
      const failure = source().createAgentCredentials(request);
      await expect(failure).rejects.toBeInstanceOf(CiRejectedError);
      await expect(failure).rejects.toThrow(message);
      expect(gitlab.state.runners).toEqual([]);
    });

    it('refuses for good a job GitLab does not have', async () => {
      await expect(source().createAgentCredentials(request)).rejects.toThrow(
        /GitLab has no job 7 of acme\/app/,
      );
    });

    it('refuses details of another CI', async () => {
      await expect(
        source().createAgentCredentials({ ...request, details: { source: 'github', owner: 'a', repo: 'b' } }),
      ).rejects.toBeInstanceOf(CiRejectedError);
    });
  });

  describe('deregisterAgent', () => {
    it('deletes the runner by its id (204)', async () => {
      job('pending', ['linux']);
      const adapter = source();
      const { externalId } = await adapter.createAgentCredentials(request);
      await adapter.deregisterAgent({ ...request, externalId });
      expect(gitlab.state.runners).toEqual([]);
      // The recorded runner first (asked first whether it runs a job), then a look for any other of its name.
      expect(calls().slice(-3)).toEqual([
        `GET /runners/${externalId}/jobs?status=running&per_page=1`,
        `DELETE /runners/${externalId}`,
        'GET /projects/42/runners?type=project_type&per_page=100&page=1',
      ]);
    });

    it('also deletes a runner of its name made by a creation whose answer was lost', async () => {
      job('pending', ['linux']);
      const adapter = source();
      await adapter.createAgentCredentials(request);
      // The retry, after the first answer timed out: GitLab now holds two runners of the agent's name.
      const { externalId } = await adapter.createAgentCredentials(request);
      expect(gitlab.state.runners).toHaveLength(2);
      await adapter.deregisterAgent({ ...request, externalId });
      expect(gitlab.state.runners).toEqual([]);
    });

    it('succeeds when the runner is already gone (404)', async () => {
      await expect(source().deregisterAgent({ ...request, externalId: '9999' })).resolves.toBeUndefined();
      expect(calls()).toEqual([
        'GET /runners/9999/jobs?status=running&per_page=1',
        'DELETE /runners/9999',
        'GET /projects/42/runners?type=project_type&per_page=100&page=1',
      ]);
    });

    it('finds the runners by description when no id was recorded', async () => {
      job('pending', ['linux']);
      const adapter = source();
      await adapter.createAgentCredentials(request);
      await adapter.createAgentCredentials({ ...request, agentName: 'pitcrew-linux-0002' });
      await adapter.deregisterAgent(request);
      expect(gitlab.state.runners.map((r) => r.description)).toEqual(['pitcrew-linux-0002']);
    });

    it('never looks a runner up by an empty name: every runner without a description would match', async () => {
      job('pending', ['linux']);
      const adapter = source();
      await adapter.createAgentCredentials({ ...request, agentName: '' });
      expect(gitlab.state.runners.map((r) => r.description)).toEqual(['']);
      const before = calls().length;
      await adapter.deregisterAgent({ ...request, agentName: '', evenIfBusy: true });
      expect(calls().slice(before)).toEqual([]);
      expect(gitlab.state.runners).toHaveLength(1);
    });

    it('leaves a runner that runs a job (one it took, of the project) registered, saying it is busy', async () => {
      job('pending', ['linux']);
      const adapter = source();
      const { externalId } = await adapter.createAgentCredentials(request);
      gitlab.state.runners[0]!.runningJobId = 77;
      const busy = adapter.deregisterAgent({ ...request, externalId });
      await expect(busy).rejects.toBeInstanceOf(CiAgentBusyError);
      await expect(busy).rejects.toThrow(`GitLab says runner ${externalId} of acme/app runs a job`);
      expect(gitlab.state.runners).toHaveLength(1);
      expect(calls().some((call) => call.startsWith('DELETE'))).toBe(false);
      // Going anyway (its pod is gone, or past its lifetime): deleted without asking.
      await adapter.deregisterAgent({ ...request, externalId, evenIfBusy: true });
      expect(gitlab.state.runners).toEqual([]);
    });

    it('deletes the runner as before when GitLab refuses the busy check for good, and retries when it is down', async () => {
      job('pending', ['linux']);
      const adapter = source();
      const { externalId } = await adapter.createAgentCredentials(request);
      gitlab.failNext(1, { status: 503, method: 'GET', path: /\/jobs$/ });
      await expect(adapter.deregisterAgent({ ...request, externalId })).rejects.toBeInstanceOf(
        CiUnavailableError,
      );
      expect(gitlab.state.runners).toHaveLength(1);
      gitlab.failNext(1, { status: 403, method: 'GET', path: /\/jobs$/ });
      await adapter.deregisterAgent({ ...request, externalId });
      expect(gitlab.state.runners).toEqual([]);
    });

    it('refuses an externalId that is not a runner id', async () => {
      await expect(source().deregisterAgent({ ...request, externalId: '../x' })).rejects.toBeInstanceOf(
        CiRejectedError,
      );
    });
  });

  describe('failures', () => {
    it('a bad token is refused for good (401), without quoting it', async () => {
      const failure = createGitlabSource({
        apiUrl: gitlab.url,
        token: 'glpat-wrong',
        tags: ['linux'],
      }).createAgentCredentials(request);
      await expect(failure).rejects.toBeInstanceOf(CiRejectedError);
      await expect(failure).rejects.toThrow(/\(401\): the access token was not accepted/);
      await expect(failure).rejects.not.toThrow(/glpat-wrong/);
    });

    it('a missing scope is refused for good (403), naming the scopes', async () => {
      job('pending', ['linux']);
      gitlab.failNext(1, {
        status: 403,
        method: 'POST',
        body: { error: 'insufficient_scope', error_description: 'The request requires higher privileges.' },
      });
      const failure = source().createAgentCredentials(request);
      await expect(failure).rejects.toMatchObject({ retryable: false, status: 403 });
      await expect(failure).rejects.toThrow(
        /create_runner and manage_runner scopes.*GitLab said: insufficient_scope/,
      );
    });

    it('a 429 is retryable after Retry-After', async () => {
      job('pending', ['linux']);
      gitlab.failNext(1, { status: 429, headers: { 'retry-after': '17' } });
      const failure = source().createAgentCredentials(request);
      await expect(failure).rejects.toBeInstanceOf(CiUnavailableError);
      await expect(failure).rejects.toMatchObject({ retryable: true, retryAfterSeconds: 17 });
    });

    it('a 429 without Retry-After waits until RateLimit-Reset, or a minute', async () => {
      // The adapter's clock is fixed, so no second passes between the reset's reading and the answer.
      const nowMs = Date.UTC(2026, 11, 4, 12, 0, 0, 400);
      const reset = Math.floor(nowMs / 1000) + 30;
      gitlab.failNext(1, { status: 429, headers: { 'ratelimit-reset': String(reset) } });
      const first = await source({ now: () => nowMs })
        .deregisterAgent({ ...request, externalId: '1' })
        .catch((e: unknown) => e);
      expect(first).toBeInstanceOf(CiUnavailableError);
      expect((first as CiUnavailableError).retryAfterSeconds).toBe(30);

      gitlab.failNext(1, { status: 429 });
      const second = await source()
        .deregisterAgent({ ...request, externalId: '1' })
        .catch((e: unknown) => e);
      expect(second).toMatchObject({ retryable: true, retryAfterSeconds: 60 });
    });

    it.each([500, 502, 503, 408])('a %i is retryable', async (status) => {
      gitlab.failNext(1, { status });
      await expect(source().deregisterAgent({ ...request, externalId: '1' })).rejects.toMatchObject({
        retryable: true,
      });
    });

    it('an unreachable GitLab is retryable', async () => {
      const url = gitlab.url;
      // The next fake starts before this one closes, so it cannot be given the port now left empty
      // (it was, once, in CI: the call then reached it and was refused as an unknown runner).
      const closing = gitlab;
      gitlab = await startFakeGitlab({ tokens: [token] });
      await closing.close();
      await expect(
        createGitlabSource({ apiUrl: url, token, tags: ['linux'] }).deregisterAgent({
          ...request,
          externalId: '1',
        }),
      ).rejects.toBeInstanceOf(CiUnavailableError);
    });

    it('a 201 without a token is refused without quoting the body', async () => {
      job('pending', ['linux']);
      gitlab.failNext(1, { status: 201, method: 'POST', body: { id: 5, token_secret: 'glrt-leak' } });
      const failure = source().createAgentCredentials(request);
      await expect(failure).rejects.toThrow(/without a valid token/);
      await expect(failure).rejects.not.toThrow(/glrt-leak/);
    });

    it('refuses bad options when it is built', () => {
      expect(() => createGitlabSource({ apiUrl: 'ftp://x', token, tags: ['linux'] })).toThrow(/not an http/);
      expect(() => createGitlabSource({ token: '', tags: ['linux'] })).toThrow(/empty/);
      expect(() => createGitlabSource({ token, tags: [] })).toThrow(/at least one tag/);
    });
  });
});
