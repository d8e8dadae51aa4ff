import { ciApiModules } from '../../../support/api-modules';
import {
  createBuildkiteSource,
  pollRateLimitReserve,
  pollUserRateLimitReserve,
} from '../../../../shared/sources/buildkite';
import { CiRejectedError, CiUnavailableError } from '../../../../shared/sources/errors';
import type { AgentRequest } from '../../../../shared/sources/types';
import { type FakeBuildkite, startFakeBuildkite } from '../../../../infra/local/stand-ins/buildkite-api';
import { jobId, minimalBuildkiteConfig } from './contract-samples';
import { buildkiteConfigSchema } from '../../../../shared/sources/buildkite/config-schema';

const request: AgentRequest = {
  requestId: 'req-0001',
  agentName: 'pitcrew-k8s-0001',
  labels: ['queue=kubernetes', 'os=linux'],
  details: { source: 'buildkite', organization: 'acme', pipeline: 'app', buildNumber: 50, jobId },
};

describe('Buildkite adapter, against the stand-in', () => {
  let buildkite: FakeBuildkite;
  const source = (options = {}) =>
    createBuildkiteSource({
      organization: 'acme',
      apiUrl: buildkite.url,
      apiToken: buildkite.apiToken,
      agentToken: () => 'bkat_agent-token',
      ...options,
    });
  const calls = () => buildkite.state.requests.map((r) => `${r.method} ${r.path}`);

  beforeEach(async () => {
    buildkite = await startFakeBuildkite({ organization: 'acme' });
  });
  afterEach(() => buildkite.close());

  it('gives the agent its token in the Secret only, and its name, tags and job in the spec', async () => {
    const credentials = await source().createAgentCredentials(request);
    expect(credentials.secretEnv).toEqual({ BUILDKITE_AGENT_TOKEN: 'bkat_agent-token' });
    // The pod runs as non-root; buildkite/agent's own paths belong to root. Under the template's env.
    expect(credentials.envDefaults).toEqual({
      BUILDKITE_BUILD_PATH: '/tmp/buildkite/builds',
      BUILDKITE_PLUGINS_PATH: '/tmp/buildkite/plugins',
    });
    expect(credentials.env).toEqual({
      BUILDKITE_AGENT_NAME: 'pitcrew-k8s-0001',
      BUILDKITE_AGENT_ACQUIRE_JOB: jobId,
      BUILDKITE_AGENT_TAGS: 'queue=kubernetes,os=linux',
    });
    expect(JSON.stringify(credentials.env)).not.toContain('bkat_');
    expect(calls()).toEqual([]);
  });

  it('builds from the registered API module and its config', async () => {
    const settings = buildkiteConfigSchema.parse({
      ...minimalBuildkiteConfig,
      apiUrl: buildkite.url,
      apiToken: { value: buildkite.apiToken },
    });
    const adapter = ciApiModules.buildkite.createAdapter(settings, (ref) =>
      'value' in ref ? ref.value : '',
    );
    expect(adapter.name).toBe('buildkite');
    expect(adapter.listQueuedBuilds).toBeUndefined();
  });

  it('stops a still-connected agent of that name, and leaves others', async () => {
    buildkite.connect('pitcrew-k8s-0001');
    buildkite.connect('pitcrew-k8s-0002');
    await source().deregisterAgent(request);
    expect(buildkite.state.agents.map((a) => [a.name, a.connectionState])).toEqual([
      ['pitcrew-k8s-0001', 'stopped'],
      ['pitcrew-k8s-0002', 'connected'],
    ]);
    expect(calls()[0]).toBe('GET /v2/organizations/acme/agents?name=pitcrew-k8s-0001&per_page=100');
    expect(JSON.parse(buildkite.state.requests[1]!.body)).toEqual({ force: false });
  });

  it('succeeds when the agent is already gone, or went between the list and the stop', async () => {
    await expect(source().deregisterAgent(request)).resolves.toBeUndefined();
    buildkite.connect('pitcrew-k8s-0001');
    buildkite.failNext(1, {
      status: 400,
      body: '{"message":"Can only stop connected agents"}',
      method: 'PUT',
    });
    await expect(source().deregisterAgent(request)).resolves.toBeUndefined();
  });

  it.each<[number, Record<string, string>, unknown, number | undefined]>([
    [502, {}, CiUnavailableError, undefined],
    [429, { 'ratelimit-remaining': '0', 'ratelimit-reset': '17' }, CiUnavailableError, 17],
    [429, { 'retry-after': '5' }, CiUnavailableError, 5],
    [429, { 'ratelimit-reset': '3', 'ratelimit-user-reset': '25' }, CiUnavailableError, 25],
    [429, {}, CiUnavailableError, 60],
    [401, {}, CiRejectedError, undefined],
    [403, {}, CiRejectedError, undefined],
  ])('classifies a %i answer', async (status, headers, kind, retryAfter) => {
    buildkite.failNext(1, { status, headers, body: '{"message":"no"}' });
    const error = await source()
      .deregisterAgent(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(kind);
    if (retryAfter !== undefined) expect((error as CiUnavailableError).retryAfterSeconds).toBe(retryAfter);
  });

  it('is rejected with the scope to add when the token lacks write_agents, and never leaks the token', async () => {
    await buildkite.close();
    buildkite = await startFakeBuildkite({ organization: 'acme', scopes: ['read_agents'] });
    buildkite.connect('pitcrew-k8s-0001');
    const error = (await source()
      .deregisterAgent(request)
      .catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(CiRejectedError);
    expect(error.message).toMatch(/write_agents/);
    expect(error.message).not.toContain(buildkite.apiToken);
  });

  it('refuses a bad apiUrl or an empty API token when built', () => {
    expect(() => source({ apiUrl: 'ftp://x' })).toThrow(/apiUrl/);
    expect(() => source({ apiToken: '' })).toThrow(/apiToken/);
  });

  it('reads the agent token only to make an agent (the reaper and ops hold none)', async () => {
    let reads = 0;
    const adapter = source({
      agentToken: () => {
        reads += 1;
        return 'bkat_agent-token';
      },
    });
    await adapter.deregisterAgent(request);
    expect(reads).toBe(0);
    const credentials = await adapter.createAgentCredentials(request);
    expect(reads).toBe(1);
    expect(credentials.secretEnv).toEqual({ BUILDKITE_AGENT_TOKEN: 'bkat_agent-token' });
    // The pod runs as non-root; buildkite/agent's own paths belong to root. Under the template's env.
    expect(credentials.envDefaults).toEqual({
      BUILDKITE_BUILD_PATH: '/tmp/buildkite/builds',
      BUILDKITE_PLUGINS_PATH: '/tmp/buildkite/plugins',
    });
  });
});

describe('Buildkite buildWaits: whether a job still waits for an agent, read from its build', () => {
  let buildkite: FakeBuildkite;
  const source = (scopes?: Parameters<typeof startFakeBuildkite>[0]) =>
    startFakeBuildkite({ organization: 'acme', ...scopes }).then((started) => {
      buildkite = started;
      return createBuildkiteSource({
        organization: 'acme',
        apiUrl: buildkite.url,
        apiToken: buildkite.apiToken,
        agentToken: () => 'bkat_agent-token',
      });
    });
  const asked = { ...request, jobKey: jobId };
  const withJobIn = (state: string) =>
    buildkite.state.builds.push({
      pipeline: 'app',
      number: 50,
      state: 'running',
      jobs: [
        { id: 'other-job', state: 'scheduled', agentQueryRules: [] },
        { id: jobId.toUpperCase(), state, agentQueryRules: [] },
      ],
    });
  afterEach(() => buildkite.close());

  it.each([
    ['scheduled', true],
    ['assigned', false],
    ['running', false],
    ['passed', false],
    ['canceled', false],
  ])('a job %s: %s', async (state, waits) => {
    const adapter = await source();
    withJobIn(state);
    await expect(adapter.buildWaits!(asked)).resolves.toBe(waits);
    expect(buildkite.state.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v2/organizations/acme/pipelines/app/builds/50',
    ]);
  });

  it('a build or job Buildkite no longer has, or a record without its build number, waits for nothing', async () => {
    const adapter = await source();
    await expect(adapter.buildWaits!(asked)).resolves.toBe(false);
    buildkite.state.builds.push({ pipeline: 'app', number: 50, state: 'running', jobs: [] });
    await expect(adapter.buildWaits!(asked)).resolves.toBe(false);
    const { buildNumber: _, ...noNumber } = asked.details as Record<string, unknown>;
    await expect(adapter.buildWaits!({ ...asked, details: noNumber as never })).resolves.toBe(false);
    expect(buildkite.state.requests).toHaveLength(2);
  });

  it('throws while Buildkite fails for now, and refuses for good without read_builds', async () => {
    let adapter = await source();
    withJobIn('scheduled');
    buildkite.failNext(1, { status: 503 });
    await expect(adapter.buildWaits!(asked)).rejects.toBeInstanceOf(CiUnavailableError);
    await buildkite.close();
    adapter = await source({ scopes: ['read_agents', 'write_agents'] });
    withJobIn('scheduled');
    await expect(adapter.buildWaits!(asked)).rejects.toThrow(/read_builds/);
    await expect(adapter.buildWaits!(asked)).rejects.toBeInstanceOf(CiRejectedError);
  });
});

describe('Buildkite lost-event polling', () => {
  let buildkite: FakeBuildkite;
  const source = (options = {}) =>
    createBuildkiteSource({
      organization: 'acme',
      apiUrl: buildkite.url,
      apiToken: buildkite.apiToken,
      agentToken: () => 'bkat_agent-token',
      pollPipelines: ['acme/app'],
      ...options,
    });
  const job = (id: string, state: string, type: 'script' | 'waiter' = 'script') => ({
    id,
    state,
    type,
    agentQueryRules: ['queue=kubernetes'],
  });

  beforeEach(async () => {
    buildkite = await startFakeBuildkite({ organization: 'acme' });
    buildkite.state.pipelines.push({
      slug: 'app',
      visibility: 'private',
      repository: 'git@github.com:acme/app.git',
    });
  });
  afterEach(() => buildkite.close());

  it('reports the scheduled command jobs of scheduled, running and failing builds as queued events', async () => {
    buildkite.state.builds.push(
      {
        pipeline: 'app',
        number: 7,
        state: 'running',
        jobs: [job('AAAA-1', 'passed'), job('AAAA-2', 'scheduled'), job('AAAA-3', 'scheduled', 'waiter')],
      },
      { pipeline: 'app', number: 8, state: 'scheduled', jobs: [job('BBBB-1', 'scheduled')] },
      { pipeline: 'app', number: 6, state: 'passed', jobs: [job('CCCC-1', 'scheduled')] },
      // One shard failed while the others still wait for an agent.
      {
        pipeline: 'app',
        number: 5,
        state: 'failing',
        jobs: [job('FFFF-1', 'failed'), job('FFFF-2', 'scheduled')],
      },
    );
    const events = await source().listQueuedBuilds!();
    expect(events.map((e) => [e.jobKey, e.deliveryId, e.action, e.details.buildNumber])).toEqual([
      ['bbbb-1', 'poll:bbbb-1', 'queued', 8],
      ['aaaa-2', 'poll:aaaa-2', 'queued', 7],
      ['ffff-2', 'poll:ffff-2', 'queued', 5],
    ]);
    expect(events[0]!.labels).toEqual(['queue=kubernetes']);
  });

  it('follows Link pages', async () => {
    for (let number = 1; number <= 150; number += 1)
      buildkite.state.builds.push({
        pipeline: 'app',
        number,
        state: 'scheduled',
        jobs: [job(`DDDD-${number}`, 'scheduled')],
      });
    expect(await source().listQueuedBuilds!()).toHaveLength(150);
  });

  it('skips a public pipeline and fork pull requests unless public ones are allowed', async () => {
    buildkite.state.builds.push({
      pipeline: 'app',
      number: 9,
      state: 'scheduled',
      jobs: [job('EEEE-1', 'scheduled')],
      pullRequestRepository: 'https://github.com/mallory/app.git',
    });
    expect(await source().listQueuedBuilds!()).toEqual([]);
    expect(await source({ allowPublicPipelines: true }).listQueuedBuilds!()).toHaveLength(1);
    buildkite.state.pipelines[0] = {
      slug: 'app',
      visibility: 'public',
      repository: 'git@github.com:acme/app.git',
    };
    buildkite.state.builds[0] = { ...buildkite.state.builds[0]!, pullRequestRepository: undefined };
    expect(await source().listQueuedBuilds!()).toEqual([]);
  });

  it('stops when the rate-limit window is nearly spent, and on a 429', async () => {
    buildkite.state.rateLimitRemaining = pollRateLimitReserve - 1;
    await expect(source().listQueuedBuilds!()).rejects.toMatchObject({ retryAfterSeconds: 42 });
    buildkite.state.rateLimitRemaining = 200;
    buildkite.failNext(1, { status: 429, headers: { 'ratelimit-reset': '30' } });
    await expect(source().listQueuedBuilds!()).rejects.toBeInstanceOf(CiUnavailableError);
    expect(buildkite.state.requests).toHaveLength(2);
    buildkite.state.rateLimitUserRemaining = pollUserRateLimitReserve - 1;
    await expect(source().listQueuedBuilds!()).rejects.toThrow(/user window/);
  });
});
