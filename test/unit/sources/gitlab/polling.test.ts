import { CiUnavailableError } from '../../../../shared/sources/errors';
import { anyOrigin } from '../../../support/origin';
import {
  createGitlabSource,
  type GitlabSourceOptions,
  pollRateLimitReserve,
} from '../../../../shared/sources/gitlab';
import { type FakeGitlab, startFakeGitlab } from '../../../../infra/local/stand-ins/gitlab-api';

const token = 'glpat-PitcrewTestToken0123456789';

describe('GitLab lost-event polling', () => {
  let gitlab: FakeGitlab;
  const source = (options: Partial<GitlabSourceOptions> = {}) =>
    createGitlabSource({
      apiUrl: gitlab.url,
      token,
      tags: ['linux', 'docker'],
      projects: ['acme/*'],
      pollProjects: ['acme/app'],
      ...options,
    });
  const calls = () => gitlab.state.requests.map((r) => `${r.method} ${r.path}`);

  beforeEach(async () => {
    gitlab = await startFakeGitlab({
      tokens: [token],
      projects: [
        { id: 42, path: 'Acme/App', visibility: 'private' },
        { id: 43, path: 'acme/site', visibility: 'public' },
      ],
    });
  });
  afterEach(() => gitlab.close());

  it('has no listQueuedBuilds without projects to poll', () => {
    expect(source({ pollProjects: [] }).listQueuedBuilds).toBeUndefined();
  });

  it('reports the pending jobs it serves as queued events, keyed as their webhooks would be', async () => {
    gitlab.state.jobs.push(
      { id: 7, projectId: 42, status: 'pending', tagList: ['linux'] },
      { id: 8, projectId: 42, status: 'running', tagList: ['linux'] },
      { id: 9, projectId: 42, status: 'pending', tagList: ['windows'] },
      { id: 10, projectId: 42, status: 'pending', tagList: [] },
      { id: 11, projectId: 42, status: 'pending', tagList: ['Docker', 'linux'] },
    );
    const events = await source().listQueuedBuilds?.();
    expect(events).toEqual([
      expect.objectContaining({ jobKey: '42:11', deliveryId: 'poll:42:11', action: 'queued' }),
      {
        source: 'gitlab',
        jobKey: '42:7',
        action: 'queued',
        labels: ['linux', 'docker'],
        origin: anyOrigin('Acme/App'),
        deliveryId: 'poll:42:7',
        url: 'https://gitlab.example.com/Acme/App/-/jobs/7',
        details: { source: 'gitlab', projectId: 42, projectPath: 'Acme/App', jobId: 7 },
      },
    ]);
    expect(calls()).toEqual([
      'GET /projects/acme%2Fapp',
      'GET /projects/42/jobs?scope[]=pending&per_page=100&page=1',
    ]);
    // Matched as its webhook's origin is, so a template's `from` holds for a polled job too.
    expect(
      ['acme/app', 'acme/*', 'acme/api', 'other/**'].map((p) => events?.[1]?.origin?.matches(p)),
    ).toEqual([true, true, false, false]);
  });

  it('reads every page of pending jobs', async () => {
    for (let id = 1; id <= 150; id += 1)
      gitlab.state.jobs.push({ id, projectId: 42, status: 'pending', tagList: ['linux'] });
    const events = await source().listQueuedBuilds?.();
    expect(events).toHaveLength(150);
    expect(calls().filter((call) => call.includes('/jobs'))).toHaveLength(2);
  });

  it('skips a public project unless public projects are allowed', async () => {
    gitlab.state.jobs.push({ id: 7, projectId: 43, status: 'pending', tagList: ['linux'] });
    expect(await source({ pollProjects: ['acme/site'] }).listQueuedBuilds?.()).toEqual([]);
    expect(calls()).toEqual(['GET /projects/acme%2Fsite']);
    const allowed = await source({
      pollProjects: ['acme/site'],
      allowPublicProjects: true,
    }).listQueuedBuilds?.();
    expect(allowed).toHaveLength(1);
  });

  it('stops polling while the rate-limit window runs low, keeping the rest for provisioning', async () => {
    gitlab.failNext(1, {
      status: 200,
      body: { id: 42, path_with_namespace: 'Acme/App', visibility: 'private' },
      headers: { 'ratelimit-remaining': String(pollRateLimitReserve - 1) },
    });
    const failure = source().listQueuedBuilds?.();
    await expect(failure).rejects.toBeInstanceOf(CiUnavailableError);
    expect(calls()).toHaveLength(1);
  });

  it('ends the poll on a 429, retryable after Retry-After', async () => {
    gitlab.failNext(1, { status: 429, headers: { 'retry-after': '5' } });
    await expect(source().listQueuedBuilds?.()).rejects.toMatchObject({
      retryable: true,
      retryAfterSeconds: 5,
    });
    expect(calls()).toHaveLength(1);
  });

  it('names pollProjects when a polled project does not exist', async () => {
    await expect(source({ pollProjects: ['acme/gone'] }).listQueuedBuilds?.()).rejects.toThrow(
      /check pollProjects/,
    );
  });
});
