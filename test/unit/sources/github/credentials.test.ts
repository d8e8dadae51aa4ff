import { inspect } from 'node:util';
import { CiRejectedError, CiUnavailableError } from '../../../../shared/sources/errors';
import { createGithubSource, type GithubSourceOptions } from '../../../../shared/sources/github';
import type { AgentRequest } from '../../../../shared/sources/types';
import { type FakeGithub, startFakeGithub } from '../../../../infra/local/stand-ins/github-api';

const token = 'ghp_PitcrewTestToken0123456789abcdefABCD';
const nowMs = Date.parse('2026-03-01T12:00:00Z');

const request: AgentRequest = {
  requestId: 'req-0001',
  agentName: 'pitcrew-linux-0001',
  labels: ['self-hosted', 'linux'],
  details: { source: 'github', owner: 'acme', repo: 'app', runId: 7 },
};

/** Everything an error would show in a log line: message, stack and causes. */
const everythingIn = (error: unknown): string => inspect(error, { depth: 10 });

describe('GitHub createAgentCredentials with a token', () => {
  let github: FakeGithub;
  const source = (options: Partial<GithubSourceOptions> = {}) =>
    createGithubSource({ apiUrl: github.url, auth: { kind: 'token', token }, now: () => nowMs, ...options });

  beforeEach(async () => {
    github = await startFakeGithub({ tokens: [token], runnerGroups: [1, 3], now: () => nowMs });
  });
  afterEach(() => github.close());

  it('creates a JIT runner and hands its config over as a secret', async () => {
    const credentials = await source().createAgentCredentials(request);

    const [runner] = github.state.runners;
    expect(github.state.runners).toHaveLength(1);
    expect(runner).toMatchObject({
      name: 'pitcrew-linux-0001',
      owner: 'acme',
      repo: 'app',
      labels: ['self-hosted', 'linux'],
    });
    expect(credentials).toEqual({
      secretEnv: { ACTIONS_RUNNER_INPUT_JITCONFIG: runner!.encodedJitConfig },
      env: { RUNNER_NAME: 'pitcrew-linux-0001' },
      externalId: String(runner!.id),
    });
  });

  it('sends the documented requests: path, body and headers', async () => {
    await source().createAgentCredentials(request);

    expect(github.state.requests).toEqual([
      // Whether GitHub says the repository is public, whatever the delivery said.
      expect.objectContaining({ method: 'GET', path: '/repos/acme/app', auth: 'token' }),
      {
        method: 'POST',
        path: '/repos/acme/app/actions/runners/generate-jitconfig',
        auth: 'token',
        body: {
          name: 'pitcrew-linux-0001',
          runner_group_id: 1,
          labels: ['self-hosted', 'linux'],
          work_folder: '_work',
        },
        headers: expect.objectContaining({
          accept: 'application/vnd.github+json',
          'x-github-api-version': '2022-11-28',
          'user-agent': 'pitcrew',
          'content-type': 'application/json',
        }),
      },
    ]);
  });

  describe('asks GitHub whether the repository is public, whatever the delivery said', () => {
    const failureOf = (call: Promise<unknown>) => call.catch((error: unknown) => error);
    const publicRepository = async () => {
      await github.close();
      github = await startFakeGithub({ tokens: [token], publicRepositories: ['Acme/App'], now: () => nowMs });
    };

    it('refuses for good to make a runner for a public repository', async () => {
      await publicRepository();
      const error = await failureOf(source().createAgentCredentials(request));
      expect(error).toBeInstanceOf(CiRejectedError);
      expect(error).toMatchObject({ retryable: false });
      expect((error as Error).message).toBe(
        "acme/app is public at GitHub, though its delivery said it was not: anyone's pull request could run on the runner (sources.github.allowPublicRepositories is false)",
      );
      expect(github.state.runners).toEqual([]);
      expect(github.state.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /repos/acme/app']);
    });

    it('makes it with allowPublicRepositories, without asking', async () => {
      await publicRepository();
      await source({ allowPublicRepositories: true }).createAgentCredentials(request);
      expect(github.state.runners).toHaveLength(1);
      expect(github.state.requests.map((r) => r.path)).toEqual([
        '/repos/acme/app/actions/runners/generate-jitconfig',
      ]);
    });

    it('makes none while GitHub cannot say (retryable), or cannot see the repository (permanent)', async () => {
      github.failNext(1, { status: 503, path: /^\/repos\/acme\/app$/ });
      expect(await failureOf(source().createAgentCredentials(request))).toBeInstanceOf(CiUnavailableError);
      github.failNext(1, { status: 404, body: { message: 'Not Found' }, path: /^\/repos\/acme\/app$/ });
      const missing = await failureOf(source().createAgentCredentials(request));
      expect(missing).toBeInstanceOf(CiRejectedError);
      expect((missing as Error).message).toContain(
        'acme/app does not exist or the credentials cannot see it',
      );
      expect(github.state.runners).toEqual([]);
    });
  });

  it('uses the configured runner group and work folder', async () => {
    await source({ runnerGroupId: 3, workFolder: 'builds' }).createAgentCredentials(request);
    expect(github.state.runners[0]).toMatchObject({ runnerGroupId: 3, workFolder: 'builds' });
  });

  it('registers on the organization when runnerScope is org', async () => {
    const credentials = await source({ runnerScope: 'org' }).createAgentCredentials(request);

    expect(github.state.requests.map((r) => r.path)).toEqual([
      '/repos/acme/app',
      '/orgs/acme/actions/runners/generate-jitconfig',
    ]);
    expect(github.state.runners[0]).toMatchObject({ owner: 'acme', repo: undefined });
    expect(credentials.externalId).toBe(String(github.state.runners[0]!.id));
  });

  it('works against a GHES-style API root with a path and a trailing slash', async () => {
    await github.close();
    github = await startFakeGithub({ tokens: [token], basePath: '/api/v3', now: () => nowMs });
    expect(github.url).toMatch(/\/api\/v3$/);

    await source({ apiUrl: `${github.url}/` }).createAgentCredentials(request);
    expect(github.state.runners).toHaveLength(1);
  });

  it('replaces a runner left by an earlier attempt when GitHub answers 409', async () => {
    const adapter = source();
    const first = await adapter.createAgentCredentials(request);
    const second = await adapter.createAgentCredentials(request);

    expect(second.externalId).not.toBe(first.externalId);
    expect(github.state.runners.map((r) => String(r.id))).toEqual([second.externalId]);
    expect(github.state.requests.slice(2).map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /repos/acme/app',
      'POST /repos/acme/app/actions/runners/generate-jitconfig',
      'GET /repos/acme/app/actions/runners?name=pitcrew-linux-0001&per_page=100',
      `DELETE /repos/acme/app/actions/runners/${first.externalId}`,
      'POST /repos/acme/app/actions/runners/generate-jitconfig',
    ]);
  });

  it('replaces a leftover organization runner the same way', async () => {
    const adapter = source({ runnerScope: 'org' });
    const first = await adapter.createAgentCredentials(request);
    await adapter.createAgentCredentials(request);

    expect(github.state.requests.map((r) => `${r.method} ${r.path}`)).toContain(
      `DELETE /orgs/acme/actions/runners/${first.externalId}`,
    );
    expect(github.state.runners).toHaveLength(1);
  });

  it('is unavailable (retryable) when the name stays taken after the delete', async () => {
    const conflict = { status: 409, body: { message: 'Already exists' }, path: /generate-jitconfig$/ };
    github.failNext(2, conflict);

    const error = await source()
      .createAgentCredentials(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CiUnavailableError);
    expect((error as Error).message).toContain('pitcrew-linux-0001');
  });

  it('is unavailable (retryable) when GitHub answers 503', async () => {
    github.failNext(1, {
      path: /generate-jitconfig$/,
      status: 503,
      body: { message: 'Service Unavailable' },
    });

    const error = await source()
      .createAgentCredentials(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CiUnavailableError);
    expect(error).toMatchObject({ retryable: true, message: expect.stringContaining('503') });
    expect(github.state.runners).toHaveLength(0);
  });

  it('is unavailable when GitHub does not answer in time', async () => {
    github.failNext(1, {
      path: /generate-jitconfig$/,
      status: 201,
      delayMs: 2_000,
    });

    const error = await source({ requestTimeoutMs: 100 })
      .createAgentCredentials(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CiUnavailableError);
    expect((error as Error).message).toMatch(/did not answer within 100 ms/);
  });

  it('is unavailable when GitHub cannot be reached', async () => {
    const closedUrl = github.url;
    // The next fake starts before this one closes, so it cannot be given the port now left empty.
    const closing = github;
    github = await startFakeGithub();
    await closing.close();

    const error = await source({ apiUrl: closedUrl })
      .createAgentCredentials(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CiUnavailableError);
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('waits until x-ratelimit-reset when the primary rate limit is used up', async () => {
    github.failNext(1, {
      path: /generate-jitconfig$/,
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(nowMs / 1000 + 120) },
      body: { message: 'API rate limit exceeded for user ID 1.' },
    });

    const error = await source()
      .createAgentCredentials(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CiUnavailableError);
    expect((error as CiUnavailableError).retryAfterSeconds).toBe(120);
  });

  it('waits retry-after seconds on a secondary rate limit (429)', async () => {
    github.failNext(1, {
      path: /generate-jitconfig$/,
      status: 429,
      headers: { 'retry-after': '30' },
      body: { message: 'secondary rate limit' },
    });

    const error = await source()
      .createAgentCredentials(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CiUnavailableError);
    expect((error as CiUnavailableError).retryAfterSeconds).toBe(30);
  });

  it('waits a minute on a secondary rate limit that gives no time', async () => {
    github.failNext(1, {
      path: /generate-jitconfig$/,
      status: 403,
      body: { message: 'You have exceeded a secondary rate limit.' },
    });

    const error = await source()
      .createAgentCredentials(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CiUnavailableError);
    expect((error as CiUnavailableError).retryAfterSeconds).toBe(60);
  });

  it('is rejected (permanent) with the permission to grant when GitHub answers 403', async () => {
    github.failNext(1, {
      path: /generate-jitconfig$/,
      status: 403,
      body: { message: 'Resource not accessible by personal access token' },
    });

    const error = await source()
      .createAgentCredentials(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CiRejectedError);
    expect(error).toMatchObject({ retryable: false, status: 403 });
    expect((error as Error).message).toBe(
      'GitHub refused to create a JIT runner for acme/app (403): the token or App needs the Administration: write ' +
        'repository permission (classic tokens: the repo scope) (GitHub said: Resource not accessible by personal access token)',
    );
  });

  it('names the organization permission for org scope', async () => {
    github.failNext(1, {
      path: /generate-jitconfig$/,
      status: 403,
      body: { message: 'Must have admin rights to Repository.' },
    });

    const error = await source({ runnerScope: 'org' })
      .createAgentCredentials(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CiRejectedError);
    expect((error as Error).message).toContain('organization acme (403)');
    expect((error as Error).message).toContain('Self-hosted runners: write organization permission');
  });

  it('is rejected, without repeating the token, when the token is wrong', async () => {
    const wrongToken = 'ghp_WrongTokenWrongTokenWrongToken000000';
    const error = await source({ auth: { kind: 'token', token: wrongToken } })
      .createAgentCredentials(request)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CiRejectedError);
    expect(error).toMatchObject({ status: 401, message: expect.stringContaining('check the token') });
    expect(everythingIn(error)).not.toContain(wrongToken);
    expect(everythingIn(error)).not.toContain(token);
  });

  it('is rejected, naming the runner group, when the group does not exist', async () => {
    const error = await source({ runnerGroupId: 7 })
      .createAgentCredentials(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CiRejectedError);
    expect(error).toMatchObject({
      status: 404,
      message: expect.stringContaining('runner group 7 does not exist'),
    });
  });

  it("is rejected with GitHub's message on 422 (a JIT runner needs at least one label)", async () => {
    const error = await source()
      .createAgentCredentials({ ...request, labels: [] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CiRejectedError);
    expect(error).toMatchObject({ status: 422, message: expect.stringContaining('Invalid request') });
  });

  it('never puts a JIT config from a malformed answer into the error', async () => {
    const jitSecret = 'SECRET-JIT-CONFIG-d2hhdCBhIHNlY3JldA==';
    github.failNext(1, {
      path: /generate-jitconfig$/,
      status: 201,
      body: { runner: { name: 'x' }, encoded_jit_config: jitSecret },
    });

    const error = await source()
      .createAgentCredentials(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CiRejectedError);
    expect((error as Error).message).toContain('runner.id');
    expect(everythingIn(error)).not.toContain(jitSecret);
    expect(everythingIn(error)).not.toContain(token);
  });

  it('refuses a request that carries another source’s details', async () => {
    const jenkins = { ...request, details: { source: 'generic' as const } };
    await expect(source().createAgentCredentials(jenkins)).rejects.toBeInstanceOf(CiRejectedError);
    expect(github.state.requests).toHaveLength(0);
  });
});

describe('createGithubSource options', () => {
  it('refuses an apiUrl that is not http(s) when it is built', () => {
    expect(() => createGithubSource({ apiUrl: 'ftp://example.com', auth: { kind: 'token', token } })).toThrow(
      /apiUrl/,
    );
  });

  it('refuses a runner group that is not a positive integer', () => {
    expect(() => createGithubSource({ runnerGroupId: 0, auth: { kind: 'token', token } })).toThrow(
      /runnerGroupId/,
    );
  });

  it('answers to its name', () => {
    const adapter = createGithubSource({ auth: { kind: 'token', token } });
    expect(adapter.name).toBe('github');
  });
});
