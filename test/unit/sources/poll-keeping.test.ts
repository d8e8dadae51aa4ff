/**
 * The polls keep what they read (bug 74): within a run's or a project's pages, after a refusal for
 * good as after a passing failure, and a GitHub App asks GitHub for no token once the reserve is
 * reached. Each case failed on the first version of keepingFound and keepingReserve (a review of
 * the fixes, 2026-12-06).
 */
import type { CiError } from '../../../shared/sources/errors';
import type { GithubCall, GithubResponse } from '../../../shared/sources/github/api';
import { listQueuedBuilds as listGithub, type PollAuth } from '../../../shared/sources/github/polling';
import type { GitlabCall, GitlabResponse } from '../../../shared/sources/gitlab/api';
import { listQueuedBuilds as listGitlab } from '../../../shared/sources/gitlab/polling';

const nowMs = Date.parse('2026-12-06T12:00:00Z');
const resetSeconds = String(nowMs / 1000 + 600);

const ghAnswer = (status: number, body: unknown, remaining = 4000): GithubResponse => ({
  status,
  headers: new Headers({
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-reset': resetSeconds,
  }),
  body,
});

const ghRepo = { name: 'app', owner: { login: 'acme' }, private: true, visibility: 'private' };
const ghJob = (id: number, runId: number) => ({
  id,
  run_id: runId,
  status: 'queued',
  labels: ['self-hosted', 'linux'],
  html_url: `https://github.com/acme/app/actions/runs/${runId}/job/${id}`,
});

const ghSettings = {
  repositories: [{ owner: 'acme', repo: 'app' }],
  maxRunsPerRepo: 10,
  allowPublicRepositories: false,
};

/** GitHub's poll of acme/app over `fetch` with a token: what it found, and the problems it reported. */
async function pollGithub(
  fetch: (call: GithubCall) => Promise<GithubResponse>,
): Promise<{ events: { jobKey: string }[]; problems: CiError[] }> {
  const problems: CiError[] = [];
  const events = await listGithub(
    { fetch, now: () => nowMs, authFor: async (): Promise<PollAuth> => ({ token: 't' }) },
    ghSettings,
    (problem) => problems.push(problem),
  );
  return { events, problems };
}

describe('GitHub poll: a run whose jobs span pages', () => {
  // A matrix of 150 queued jobs: GitHub lists them on two pages of 100 and 50.
  const matrix = Array.from({ length: 150 }, (_, index) => ghJob(1000 + index, 7001));
  const runs = { total_count: 1, workflow_runs: [{ id: 7001, repository: ghRepo }] };

  it("keeps the first page's queued jobs when that page's answer reaches the rate-limit reserve", async () => {
    const calls: string[] = [];
    const fetch = async (call: GithubCall): Promise<GithubResponse> => {
      calls.push(call.path);
      if (call.path.includes('/actions/runs?')) return ghAnswer(200, runs);
      if (call.path.endsWith('page=1'))
        // This answer leaves 60 requests (< the reserve of 100): it is to be used, the next not made.
        return ghAnswer(200, { total_count: 150, jobs: matrix.slice(0, 100) }, 60);
      if (call.path.endsWith('page=2'))
        return ghAnswer(200, { total_count: 150, jobs: matrix.slice(100) }, 59);
      return ghAnswer(404, {});
    };
    const { events, problems } = await pollGithub(fetch);
    expect(calls.some((path) => path.endsWith('page=2'))).toBe(false);
    expect(problems).toEqual([expect.objectContaining({ retryable: true })]);
    // The answer that reached the reserve is used; no request follows it.
    expect(events).toHaveLength(100);
  });

  it("keeps the first page's queued jobs when the second page answers 502", async () => {
    const fetch = async (call: GithubCall): Promise<GithubResponse> => {
      if (call.path.includes('/actions/runs?')) return ghAnswer(200, runs);
      if (call.path.endsWith('page=1'))
        return ghAnswer(200, { total_count: 150, jobs: matrix.slice(0, 100) });
      if (call.path.endsWith('page=2')) return ghAnswer(502, {});
      return ghAnswer(404, {});
    };
    const { events, problems } = await pollGithub(fetch);
    expect(problems).toEqual([expect.objectContaining({ retryable: true })]);
    expect(events).toHaveLength(100);
  });
});

describe('GitHub poll: requests after the reserve is reached', () => {
  it('asks for no App installation token for the next repository once an answer reached the reserve', async () => {
    const authAsked: string[] = [];
    const fetch = async (call: GithubCall): Promise<GithubResponse> => {
      if (call.path.startsWith('/repos/acme/app/actions/runs?'))
        return ghAnswer(200, { total_count: 1, workflow_runs: [{ id: 7001, repository: ghRepo }] });
      // The last request of acme/app leaves 60 (< 100): the poll is to make no further request.
      if (call.path.startsWith('/repos/acme/app/actions/runs/7001/jobs'))
        return ghAnswer(200, { total_count: 1, jobs: [ghJob(901, 7001)] }, 60);
      return ghAnswer(404, {});
    };
    // With a GitHub App, authFor looks the installation up and mints its token: requests to GitHub
    // made with the App's JWT (app-auth.ts), outside the poll's reserve-keeping fetch.
    const authFor = async (repository: { owner: string; repo: string }): Promise<PollAuth> => {
      authAsked.push(`${repository.owner}/${repository.repo}`);
      return { token: 't', installationId: 1 };
    };
    const problems: CiError[] = [];
    const events = await listGithub(
      { fetch, now: () => nowMs, authFor },
      {
        ...ghSettings,
        repositories: [
          { owner: 'acme', repo: 'app' },
          { owner: 'acme', repo: 'lib' },
          { owner: 'acme', repo: 'web' },
        ],
      },
      (problem) => problems.push(problem),
    );
    expect(events.map((event) => event.jobKey)).toEqual(['901']);
    // Before 4b8fd36 the poll stopped right after the answer that reached the reserve.
    expect(authAsked).toEqual(['acme/app']);
  });
});

describe('keepingFound: a refusal for good after some were found', () => {
  it("keeps a GitHub repository's jobs read before a later run's jobs are refused (401), and polls the rest", async () => {
    const fetch = async (call: GithubCall): Promise<GithubResponse> => {
      if (call.path.startsWith('/repos/acme/app/actions/runs?'))
        return ghAnswer(200, {
          total_count: 2,
          workflow_runs: [
            { id: 7002, repository: ghRepo },
            { id: 7001, repository: ghRepo },
          ],
        });
      if (call.path.startsWith('/repos/acme/app/actions/runs/7002/jobs'))
        return ghAnswer(200, { total_count: 1, jobs: [ghJob(902, 7002)] });
      if (call.path.startsWith('/repos/acme/app/actions/runs/7001/jobs')) return ghAnswer(401, {});
      return ghAnswer(404, {});
    };
    const { events, problems } = await pollGithub(fetch);
    expect(problems).toEqual([expect.objectContaining({ retryable: false })]);
    // Job 902 was read and is queued: pollEach would take a non-retryable CutShort and go on.
    expect(events.map((event) => event.jobKey)).toEqual(['902']);
  });

  it.each([
    [403, false],
    [429, true],
  ])("keeps a GitLab project's first page when its second page answers %i", async (status, retryable) => {
    const job = (id: number) => ({
      id,
      status: 'pending',
      tag_list: ['linux'],
      web_url: `https://gitlab.example.com/acme/app/-/jobs/${id}`,
    });
    const answer = (code: number, body: unknown): GitlabResponse => ({
      status: code,
      headers: new Headers(code === 429 ? { 'retry-after': '30' } : {}),
      body,
    });
    const fetch = async (call: GitlabCall): Promise<GitlabResponse> => {
      if (call.path === '/projects/acme%2Fapp')
        return answer(200, { id: 42, path_with_namespace: 'acme/app', visibility: 'private' });
      if (call.path.includes('/jobs?') && call.path.endsWith('page=1'))
        return answer(
          200,
          Array.from({ length: 100 }, (_, index) => job(index + 1)),
        );
      if (call.path.includes('/jobs?') && call.path.endsWith('page=2')) return answer(status, {});
      return answer(404, {});
    };
    const problems: CiError[] = [];
    const events = await listGitlab(
      { fetch, now: () => nowMs },
      { projects: ['acme/app'], allowedProjects: ['acme/*'], allowPublicProjects: false, tags: ['linux'] },
      (problem) => problems.push(problem),
    );
    expect(problems).toEqual([expect.objectContaining({ retryable })]);
    expect(events).toHaveLength(100);
  });
});
