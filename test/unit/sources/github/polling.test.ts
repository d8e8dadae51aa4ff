import { inspect } from 'node:util';
import { anyOrigin } from '../../../support/origin';
import { CiRejectedError, CiUnavailableError } from '../../../../shared/sources/errors';
import {
  createGithubSource,
  type GithubSourceOptions,
  parseGithubWebhook,
  pollRateLimitReserve,
} from '../../../../shared/sources/github';
import type { BuildEvent } from '../../../../shared/sources/types';
import {
  type FakeGithub,
  type FakeWorkflowJob,
  type FakeWorkflowRun,
  generateAppKeyPair,
  startFakeGithub,
} from '../../../../infra/local/stand-ins/github-api';

const token = 'ghp_PitcrewTestToken0123456789abcdefABCD';
const nowMs = Date.parse('2026-03-01T12:00:00Z');
const nowSeconds = nowMs / 1000;

const job = (id: number, status: FakeWorkflowJob['status'], labels = ['self-hosted', 'linux']) => ({
  id,
  status,
  labels,
});

const run = (
  id: number,
  owner: string,
  repo: string,
  status: FakeWorkflowRun['status'],
  jobs: FakeWorkflowJob[],
): FakeWorkflowRun => ({ id, owner, repo, status, jobs });

/**
 * What parseGithubWebhook gives for the `workflow_job` `queued` delivery of this job
 * (https://docs.github.com/en/webhooks/webhook-events-and-payloads#workflow_job), built from the
 * fake's own REST answer for the job so both sides describe the same job.
 */
async function webhookEventFor(
  github: FakeGithub,
  fakeRun: FakeWorkflowRun,
  jobId: number,
  installationId?: number,
): Promise<BuildEvent> {
  const answer = await fetch(
    `${github.url}/repos/${fakeRun.owner}/${fakeRun.repo}/actions/runs/${fakeRun.id}/jobs`,
    {
      headers: { authorization: `Bearer ${token}`, 'user-agent': 'test' },
    },
  );
  const { jobs } = (await answer.json()) as { jobs: { id: number; html_url: string | null }[] };
  const restJob = jobs.find((candidate) => candidate.id === jobId);
  if (restJob === undefined) throw new Error(`no job ${jobId}`);
  // The webhook's html_url is a string; a null one is simply absent.
  const { html_url: htmlUrl, ...rest } = restJob;
  const payload = {
    action: 'queued',
    workflow_job: { ...rest, ...(htmlUrl === null ? {} : { html_url: htmlUrl }) },
    repository: {
      name: fakeRun.repo,
      full_name: `${fakeRun.owner}/${fakeRun.repo}`,
      owner: { login: fakeRun.owner },
    },
    ...(installationId === undefined ? {} : { installation: { id: installationId } }),
  };
  const parsed = parseGithubWebhook({
    headers: {
      'x-github-event': 'workflow_job',
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    },
    rawBody: Buffer.from(JSON.stringify(payload)),
  });
  if (parsed.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(parsed)}`);
  return parsed.event;
}

const polled = (event: BuildEvent): BuildEvent => ({
  ...event,
  deliveryId: `poll:${event.jobKey}`,
  ...(event.origin ? { origin: anyOrigin(event.origin.name) } : {}),
});

const everythingIn = (error: unknown): string => inspect(error, { depth: 10 });

async function pollError(promise: Promise<unknown> | undefined): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the poll to fail');
}

describe('GitHub listQueuedBuilds', () => {
  let github: FakeGithub;
  const source = (options: Partial<GithubSourceOptions> = {}) =>
    createGithubSource({
      apiUrl: github.url,
      auth: { kind: 'token', token },
      pollRepositories: ['acme/app'],
      now: () => nowMs,
      ...options,
    });
  const poll = (options: Partial<GithubSourceOptions> = {}) => {
    const { listQueuedBuilds } = source(options);
    if (listQueuedBuilds === undefined) throw new Error('the adapter has no listQueuedBuilds');
    return listQueuedBuilds();
  };
  // The adapter's requests only, not the test's own (webhookEventFor), which say user-agent: test.
  const adapterRequests = () => github.state.requests.filter((r) => r.headers['user-agent'] === 'pitcrew');
  const calls = () => adapterRequests().map((r) => `${r.method} ${r.path}`);

  beforeEach(async () => {
    github = await startFakeGithub({
      tokens: [token],
      repositories: ['acme/app', 'acme/api', 'Octo-Org/Hello-World'],
    });
  });
  afterEach(() => github.close());

  it('gives each queued job of a queued run the event its queued webhook gives, under a poll: delivery id', async () => {
    const queued = run(7001, 'acme', 'app', 'queued', [
      job(901, 'queued'),
      job(902, 'queued', ['self-hosted', 'gpu']),
    ]);
    github.state.workflowRuns.push(queued);

    const events = await poll();

    // A polled job's origin is matched as its webhook's is, so a template's `from` holds for it too.
    expect(['acme/*', 'ACME/app', 'acme/api', 'other/*'].map((p) => events[0]?.origin?.matches(p))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(events).toStrictEqual([
      polled(await webhookEventFor(github, queued, 901)),
      polled(await webhookEventFor(github, queued, 902)),
    ]);
    expect(events.map((e) => e.deliveryId)).toEqual(['poll:901', 'poll:902']);
    expect(events[0]).toMatchObject({
      action: 'queued',
      jobKey: '901',
      url: 'https://github.com/acme/app/actions/runs/7001/job/901',
      details: { source: 'github', owner: 'acme', repo: 'app', runId: 7001 },
    });
  });

  it('asks for queued runs with per_page from pollMaxRunsPerRepo, then each run’s latest jobs', async () => {
    github.state.workflowRuns.push(run(7001, 'acme', 'app', 'queued', [job(901, 'queued')]));

    await poll({ pollMaxRunsPerRepo: 5 });

    expect(calls()).toEqual([
      'GET /repos/acme/app/actions/runs?status=queued&per_page=5',
      'GET /repos/acme/app/actions/runs/7001/jobs?filter=latest&per_page=100&page=1',
    ]);
    expect(adapterRequests().every((r) => r.auth === 'token')).toBe(true);
  });

  it('gives a public repository’s queued jobs no event unless the operator allows public repositories', async () => {
    github.state.workflowRuns.push({
      ...run(7101, 'acme', 'app', 'queued', [job(911, 'queued')]),
      visibility: 'public',
    });
    github.state.workflowRuns.push(run(7102, 'acme', 'app', 'queued', [job(912, 'queued')]));
    expect((await poll()).map((event) => event.jobKey)).toEqual(['912']);
    expect((await poll({ allowPublicRepositories: true })).map((event) => event.jobKey).sort()).toEqual([
      '911',
      '912',
    ]);
  });

  it('skips jobs that are not queued, and runs that are not', async () => {
    github.state.workflowRuns.push(
      run(7001, 'acme', 'app', 'queued', [
        job(901, 'in_progress'),
        job(902, 'completed'),
        job(903, 'waiting'),
        job(904, 'queued'),
      ]),
      run(7002, 'acme', 'app', 'in_progress', [job(905, 'queued')]),
      run(7003, 'acme', 'app', 'completed', [job(906, 'completed')]),
    );

    const events = await poll();

    expect(events.map((e) => e.jobKey)).toEqual(['904']);
    expect(calls().filter((c) => c.includes('/jobs'))).toHaveLength(1);
  });

  it('returns nothing when no run is queued, after one request', async () => {
    await expect(poll()).resolves.toEqual([]);
    expect(calls()).toEqual(['GET /repos/acme/app/actions/runs?status=queued&per_page=20']);
  });

  it('polls several repositories in turn, naming each as GitHub spells it', async () => {
    const app = run(7001, 'acme', 'app', 'queued', [job(901, 'queued')]);
    const api = run(7101, 'acme', 'api', 'queued', [job(911, 'queued')]);
    const hello = run(7201, 'Octo-Org', 'Hello-World', 'queued', [job(921, 'queued')]);
    github.state.workflowRuns.push(app, api, hello);

    const events = await poll({ pollRepositories: ['acme/app', 'acme/api', 'octo-org/hello-world'] });

    expect(events).toStrictEqual([
      polled(await webhookEventFor(github, app, 901)),
      polled(await webhookEventFor(github, api, 911)),
      polled(await webhookEventFor(github, hello, 921)),
    ]);
    expect(events[2]?.details).toEqual({
      source: 'github',
      owner: 'Octo-Org',
      repo: 'Hello-World',
      runId: 7201,
    });
  });

  it('polls a repository listed twice once', async () => {
    github.state.workflowRuns.push(run(7001, 'acme', 'app', 'queued', [job(901, 'queued')]));

    const events = await poll({ pollRepositories: ['acme/app', 'ACME/App'] });

    expect(events.map((e) => e.jobKey)).toEqual(['901']);
    expect(calls().filter((c) => c.includes('status=queued'))).toHaveLength(1);
  });

  it('reads every page of a run with more than 100 jobs', async () => {
    const jobs = Array.from({ length: 150 }, (_, index) =>
      job(10_000 + index, index % 50 === 0 ? 'queued' : 'in_progress'),
    );
    github.state.workflowRuns.push(run(7001, 'acme', 'app', 'queued', jobs));

    const events = await poll();

    expect(events.map((e) => e.jobKey)).toEqual(['10000', '10050', '10100']);
    expect(calls().filter((c) => c.includes('/jobs'))).toEqual([
      'GET /repos/acme/app/actions/runs/7001/jobs?filter=latest&per_page=100&page=1',
      'GET /repos/acme/app/actions/runs/7001/jobs?filter=latest&per_page=100&page=2',
    ]);
  });

  it('leaves out the url when GitHub gives none, as the webhook parser does', async () => {
    const queued = run(7001, 'acme', 'app', 'queued', [{ ...job(901, 'queued'), htmlUrl: null }]);
    github.state.workflowRuns.push(queued);

    const [event] = await poll();

    expect(event).toStrictEqual(polled(await webhookEventFor(github, queued, 901)));
    expect(event).not.toHaveProperty('url');
  });

  it('skips a run deleted between listing it and reading its jobs (404)', async () => {
    github.state.workflowRuns.push(
      run(7002, 'acme', 'app', 'queued', [job(902, 'queued')]),
      run(7001, 'acme', 'app', 'queued', [job(901, 'queued')]),
    );
    github.failNext(1, { status: 404, body: { message: 'Not Found' }, path: /\/runs\/7002\/jobs$/ });

    const events = await poll();

    expect(events.map((e) => e.jobKey)).toEqual(['901']);
  });

  describe('with a GitHub App', () => {
    const appId = '123456';
    const keys = generateAppKeyPair();

    beforeEach(async () => {
      await github.close();
      // The token is only for webhookEventFor's own reads.
      github = await startFakeGithub({
        tokens: [token],
        app: { appId, publicKey: keys.publicKey, installations: { acme: 42, 'Octo-Org': 43 } },
        now: () => nowMs,
      });
    });

    const appOptions = (installationId?: number): Partial<GithubSourceOptions> => ({
      auth: { kind: 'app', appId, privateKey: keys.privateKey, installationId },
    });

    it('finds each repository’s installation, polls with its token and puts it on the events', async () => {
      const app = run(7001, 'acme', 'app', 'queued', [job(901, 'queued')]);
      const hello = run(7201, 'Octo-Org', 'Hello-World', 'queued', [job(921, 'queued')]);
      github.state.workflowRuns.push(app, hello);

      const events = await poll({ ...appOptions(), pollRepositories: ['acme/app', 'Octo-Org/Hello-World'] });

      expect(events).toStrictEqual([
        polled(await webhookEventFor(github, app, 901, 42)),
        polled(await webhookEventFor(github, hello, 921, 43)),
      ]);
      expect(adapterRequests().map((r) => [r.method, r.path.replace(/\?.*$/, ''), r.auth])).toEqual([
        ['GET', '/repos/acme/app/installation', 'app-jwt'],
        ['POST', '/app/installations/42/access_tokens', 'app-jwt'],
        ['GET', '/repos/acme/app/actions/runs', 'installation-token'],
        ['GET', '/repos/acme/app/actions/runs/7001/jobs', 'installation-token'],
        ['GET', '/repos/Octo-Org/Hello-World/installation', 'app-jwt'],
        ['POST', '/app/installations/43/access_tokens', 'app-jwt'],
        ['GET', '/repos/Octo-Org/Hello-World/actions/runs', 'installation-token'],
        ['GET', '/repos/Octo-Org/Hello-World/actions/runs/7201/jobs', 'installation-token'],
      ]);
    });

    it('reuses the installation and its token on the next poll', async () => {
      github.state.workflowRuns.push(run(7001, 'acme', 'app', 'queued', [job(901, 'queued')]));
      const { listQueuedBuilds } = source(appOptions());

      await listQueuedBuilds?.();
      await listQueuedBuilds?.();

      const authCalls = adapterRequests().filter((r) => r.auth === 'app-jwt');
      expect(authCalls).toHaveLength(2);
    });

    it('uses the configured installation without looking it up', async () => {
      github.state.workflowRuns.push(run(7001, 'acme', 'app', 'queued', [job(901, 'queued')]));

      const [event] = await poll(appOptions(42));

      expect(event?.details).toEqual({
        source: 'github',
        owner: 'acme',
        repo: 'app',
        installationId: 42,
        runId: 7001,
      });
      expect(calls()).not.toContain('GET /repos/acme/app/installation');
    });

    it('is rejected, naming the repository, when the App is not installed on it', async () => {
      const error = await pollError(poll({ ...appOptions(), pollRepositories: ['nobody/app'] }));

      expect(error).toBeInstanceOf(CiRejectedError);
      expect((error as Error).message).toContain('is not installed on nobody/app');
    });
  });

  describe('rate limits', () => {
    beforeEach(() => {
      github.state.workflowRuns.push(
        run(7001, 'acme', 'app', 'queued', [job(901, 'queued')]),
        run(7101, 'acme', 'api', 'queued', [job(911, 'queued')]),
      );
    });

    it('stops at a primary rate limit and throws CiUnavailableError with the time until the reset', async () => {
      github.failNext(1, {
        status: 403,
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(nowSeconds + 300) },
        body: { message: 'API rate limit exceeded for user ID 1.' },
        path: /\/jobs$/,
      });

      const error = await pollError(poll({ pollRepositories: ['acme/app', 'acme/api'] }));

      expect(error).toBeInstanceOf(CiUnavailableError);
      expect(error).toMatchObject({ retryAfterSeconds: 300, retryable: true });
      expect((error as Error).message).toContain('acme/app');
      // Nothing more was asked once GitHub said to wait: acme/api was not polled.
      expect(calls().at(-1)).toBe(
        'GET /repos/acme/app/actions/runs/7001/jobs?filter=latest&per_page=100&page=1',
      );
    });

    it('follows retry-after on a secondary rate limit (429)', async () => {
      github.failNext(1, { status: 429, headers: { 'retry-after': '42' }, path: /\/actions\/runs$/ });

      const error = await pollError(poll());

      expect(error).toBeInstanceOf(CiUnavailableError);
      expect(error).toMatchObject({ retryAfterSeconds: 42 });
      expect(calls()).toHaveLength(1);
    });

    it(`stops while fewer than ${pollRateLimitReserve} requests are left, keeping them for provisioning`, async () => {
      github.failNext(1, {
        status: 200,
        headers: {
          'x-ratelimit-remaining': String(pollRateLimitReserve - 1),
          'x-ratelimit-reset': String(nowSeconds + 120),
        },
        body: {
          total_count: 1,
          workflow_runs: [{ id: 7001, repository: { name: 'app', owner: { login: 'acme' }, private: true } }],
        },
        path: /\/actions\/runs$/,
      });

      const error = await pollError(poll({ pollRepositories: ['acme/app', 'acme/api'] }));

      expect(error).toBeInstanceOf(CiUnavailableError);
      expect(error).toMatchObject({ retryAfterSeconds: 120 });
      expect(calls()).toHaveLength(1);
    });

    it('goes on while the reserve is untouched', async () => {
      github.failNext(1, {
        status: 200,
        headers: {
          'x-ratelimit-remaining': String(pollRateLimitReserve),
          'x-ratelimit-reset': String(nowSeconds + 120),
        },
        body: {
          total_count: 1,
          workflow_runs: [{ id: 7001, repository: { name: 'app', owner: { login: 'acme' }, private: true } }],
        },
        path: /\/actions\/runs$/,
      });

      await expect(poll()).resolves.toHaveLength(1);
    });
  });

  describe('failures', () => {
    it('rejects a repository that does not exist (404), naming it', async () => {
      const error = await pollError(poll({ pollRepositories: ['acme/app', 'acme/gone'] }));

      expect(error).toBeInstanceOf(CiRejectedError);
      expect(error).toMatchObject({ status: 404, retryable: false });
      expect((error as Error).message).toContain('acme/gone does not exist or the credentials cannot see it');
      expect((error as Error).message).toContain('pollRepositories');
    });

    // One deleted repository hid every other's lost builds (a review of the GitHub path, 2026-12-05).
    it("keeps a repository's runs read before a passing failure on a later one, and ends the poll", async () => {
      github.state.workflowRuns.push(run(7001, 'acme', 'app', 'queued', [job(901, 'queued')]));
      github.state.workflowRuns.push(run(7002, 'acme', 'app', 'queued', [job(902, 'queued')]));
      github.state.workflowRuns.push(run(7003, 'acme', 'lib', 'queued', [job(903, 'queued')]));
      github.failNext(1, { status: 503, path: /\/runs\/7001\/jobs$/ });
      const problems: unknown[] = [];
      const listed = await source({ pollRepositories: ['acme/app', 'acme/lib'] }).listQueuedBuilds?.(
        (problem) => problems.push(problem),
      );
      // Runs are listed newest first: 7002's job is read, 7001's answers 503, acme/lib is not asked.
      expect(listed?.map((event) => event.jobKey)).toEqual(['902']);
      expect(problems).toEqual([expect.objectContaining({ retryable: true })]);
      expect(calls().some((call) => call.includes('/repos/acme/lib/'))).toBe(false);
    });

    it('gives a repository it refuses to `problem` and still polls the others', async () => {
      github.state.workflowRuns.push(run(7001, 'acme', 'app', 'queued', [job(901, 'queued')]));
      const refusals: unknown[] = [];
      const listed = await source({ pollRepositories: ['acme/gone', 'acme/app'] }).listQueuedBuilds?.(
        (error) => refusals.push(error),
      );
      expect(listed?.map((event) => event.jobKey)).toEqual(['901']);
      expect(refusals).toEqual([expect.any(CiRejectedError)]);
      expect(String(refusals[0])).toContain('acme/gone does not exist or the credentials cannot see it');
    });

    it('ends the poll at a passing failure (a rate limit is every repository’s), throwing without `problem`', async () => {
      github.failNext(1, { status: 503, path: /\/actions\/runs$/ });
      const error = await pollError(
        source({ pollRepositories: ['acme/app', 'acme/api'] }).listQueuedBuilds?.(),
      );
      expect(error).toMatchObject({ retryable: true });
      expect(calls()).toEqual([expect.stringMatching(/^GET \/repos\/acme\/app\/actions\/runs/)]);
    });

    it('ends the poll at a passing failure, giving it to `problem` with the builds read before it', async () => {
      github.state.workflowRuns.push(run(7001, 'acme', 'app', 'queued', [job(901, 'queued')]));
      github.state.workflowRuns.push(run(7002, 'acme', 'lib', 'queued', [job(902, 'queued')]));
      const repositories = ['acme/app', 'acme/api', 'acme/lib'];
      // acme/app is read, acme/api's runs answer 503: acme/lib is not asked this run.
      const runsOfApi = /\/repos\/acme\/api\/actions\/runs$/;
      github.failNext(1, { status: 503, path: runsOfApi });
      const problems: unknown[] = [];
      const listed = await source({ pollRepositories: repositories }).listQueuedBuilds?.((problem) =>
        problems.push(problem),
      );
      expect(listed?.map((event) => event.jobKey)).toEqual(['901']);
      expect(problems).toEqual([expect.objectContaining({ retryable: true })]);
      expect(calls().some((call) => call.includes('/repos/acme/lib/'))).toBe(false);
    });

    it('names the Actions: read permission on a 403 that is not a rate limit', async () => {
      github.failNext(1, {
        status: 403,
        body: { message: 'Resource not accessible by personal access token' },
        path: /\/actions\/runs$/,
      });

      const error = await pollError(poll());

      expect(error).toBeInstanceOf(CiRejectedError);
      expect((error as Error).message).toContain('Actions: read');
    });

    it('rejects bad credentials without repeating them', async () => {
      const wrong = 'ghp_WrongToken0123456789abcdefABCDEFGHIJ';
      const error = await pollError(poll({ auth: { kind: 'token', token: wrong } }));

      expect(error).toBeInstanceOf(CiRejectedError);
      expect(error).toMatchObject({ status: 401 });
      expect(everythingIn(error)).not.toContain(wrong);
    });

    it('never puts a token in a message, whatever GitHub answered', async () => {
      github.failNext(1, { status: 503, body: { message: 'unavailable' }, path: /\/actions\/runs$/ });
      const unavailable = await pollError(poll());
      github.failNext(1, {
        status: 200,
        body: { total_count: 1, workflow_runs: [{ id: 'not-a-number', token }] },
        path: /\/actions\/runs$/,
      });
      const garbled = await pollError(poll());

      expect(unavailable).toBeInstanceOf(CiUnavailableError);
      expect(garbled).toBeInstanceOf(CiRejectedError);
      for (const error of [unavailable, garbled]) expect(everythingIn(error)).not.toContain(token);
    });
  });

  describe('options', () => {
    it('has no listQueuedBuilds without pollRepositories, and makes no request', () => {
      expect(source({ pollRepositories: [] }).listQueuedBuilds).toBeUndefined();
      expect(source({ pollRepositories: undefined }).listQueuedBuilds).toBeUndefined();
      expect(github.state.requests).toHaveLength(0);
    });

    it.each(['acme', 'acme/app/extra', 'acme/..', '/app', 'ac me/app'])(
      'refuses the pollRepositories entry %p when the adapter is built',
      (entry) => {
        expect(() => source({ pollRepositories: [entry] })).toThrow(`"${entry}" is not "owner/repo"`);
      },
    );

    it.each([0, 101, 2.5])('refuses pollMaxRunsPerRepo %p', (pollMaxRunsPerRepo) => {
      expect(() => source({ pollMaxRunsPerRepo })).toThrow(
        'pollMaxRunsPerRepo must be an integer from 1 to 100',
      );
    });
  });
});
