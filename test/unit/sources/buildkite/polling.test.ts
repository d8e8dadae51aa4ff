import { listQueuedBuilds } from '../../../../shared/sources/buildkite/polling';
import type { BuildkiteCall, BuildkiteResponse } from '../../../../shared/sources/buildkite/api';
import type { CiError } from '../../../../shared/sources/errors';

/**
 * Polling near the rate-limit reserve (docs/buildkite.md): the answer that leaves a window nearly
 * spent is used, and no request follows it; the pipelines read before stand. It threw that answer
 * away with every earlier pipeline's, run after run while other clients kept the window low (a
 * review of the Buildkite path, 2026-12-06).
 */
describe('Buildkite polling at the rate-limit reserve', () => {
  const headers = (remaining: number) =>
    new Headers({
      'ratelimit-remaining': String(remaining),
      'ratelimit-reset': '30',
      'ratelimit-user-remaining': '40',
      'ratelimit-user-reset': '30',
    });
  const jobOf = (pipeline: string) => `0188a1b2-3c4d-4e5f-8a9b-00000000000${pipeline === 'app' ? 'a' : 'b'}`;

  /** A Buildkite whose organization window has `remaining` left after each answer, in turn. */
  function buildkite(remaining: number[]) {
    const calls: string[] = [];
    const fetch = (call: BuildkiteCall): Promise<BuildkiteResponse> => {
      calls.push(call.path);
      const left = remaining[calls.length - 1] ?? 200;
      const slug = /pipelines\/([^/]+)/.exec(call.path)?.[1] ?? '';
      const body = call.path.includes('/builds')
        ? [
            {
              number: 7,
              pull_request: null,
              jobs: [
                { id: jobOf(slug), type: 'script', state: 'scheduled', agent_query_rules: ['queue=k8s'] },
              ],
            },
          ]
        : { slug, visibility: 'private', repository: `git@github.com:acme/${slug}.git` };
      return Promise.resolve({ status: 200, headers: headers(left), body });
    };
    return { api: { fetch, apiUrl: 'https://api.buildkite.com' }, calls };
  }
  const settings = (pipelines: string[]) => ({
    organization: 'acme',
    pipelines,
    allowPublicPipelines: false,
  });

  it('keeps the jobs of the answer that reached the reserve, and asks nothing more', async () => {
    const { api, calls } = buildkite([41, 39]);
    const events = await listQueuedBuilds(api, settings(['app']));
    expect(events.map((event) => event.jobKey)).toEqual([jobOf('app')]);
    expect(calls).toHaveLength(2);
  });

  it('stops before the next pipeline, giving the reason to `problem`, with the pipelines read before', async () => {
    const { api, calls } = buildkite([120, 39]);
    const problems: CiError[] = [];
    const events = await listQueuedBuilds(api, settings(['app', 'lib']), (problem) => problems.push(problem));
    expect(events.map((event) => event.jobKey)).toEqual([jobOf('app')]);
    expect(calls).toEqual([
      '/v2/organizations/acme/pipelines/app',
      expect.stringContaining('/pipelines/app/builds?'),
    ]);
    expect(problems).toEqual([expect.objectContaining({ retryable: true, retryAfterSeconds: 30 })]);
    expect(String(problems[0])).toContain("39 requests are left in the organization's window");
  });

  it('throws without `problem`, as a poll without a taker did', async () => {
    const { api } = buildkite([120, 39]);
    await expect(listQueuedBuilds(api, settings(['app', 'lib']))).rejects.toMatchObject({ retryable: true });
  });
});

/**
 * A passing failure on a later page of a pipeline's builds (a 429, an outage): the pages read stand,
 * and the failure still reaches `problem` and ends the poll. A first version kept the pages and hid
 * the failure, polling the next pipelines straight after a 429 (a review of the fixes, 2026-12-06).
 */
describe('Buildkite poll: a passing failure on a later page of builds', () => {
  const apiUrl = 'https://api.buildkite.com';
  const jobId = (n: number) => `0188a1b2-3c4d-4e5f-8a9b-${String(n).padStart(12, '0')}`;
  const okHeaders = (extra: Record<string, string> = {}) =>
    new Headers({ 'ratelimit-remaining': '150', 'ratelimit-user-remaining': '150', ...extra });

  /** Pipeline `app` has two pages of builds; page 2 answers `failStatus`. Pipeline `lib` has one. */
  function buildkite(failStatus: number) {
    const calls: string[] = [];
    const fetch = (call: BuildkiteCall): Promise<BuildkiteResponse> => {
      calls.push(call.path);
      const slug = /pipelines\/([^/?]+)/.exec(call.path)?.[1] ?? '';
      if (!call.path.includes('/builds'))
        return Promise.resolve({
          status: 200,
          headers: okHeaders(),
          body: { slug, visibility: 'private', repository: `git@github.com:acme/${slug}.git` },
        });
      if (call.path.includes('page=2'))
        return Promise.resolve({
          status: failStatus,
          headers: new Headers(failStatus === 429 ? { 'retry-after': '30' } : {}),
          body: { message: 'slow down' },
        });
      const n = slug === 'app' ? 1 : 2;
      return Promise.resolve({
        status: 200,
        headers: okHeaders(
          slug === 'app'
            ? { link: `<${apiUrl}/v2/organizations/acme/pipelines/app/builds?page=2>; rel="next"` }
            : {},
        ),
        body: [
          {
            number: n,
            pull_request: null,
            jobs: [{ id: jobId(n), type: 'script', state: 'scheduled', agent_query_rules: ['queue=k8s'] }],
          },
        ],
      });
    };
    return { api: { fetch, apiUrl }, calls };
  }
  const settings = { organization: 'acme', pipelines: ['app', 'lib'], allowPublicPipelines: false };

  it.each([429, 503])(
    'a %i on page 2 is reported to `problem` (counted, logged) and ends the poll',
    async (status) => {
      const { api, calls } = buildkite(status);
      const problems: CiError[] = [];
      const events = await listQueuedBuilds(api, settings, (problem) => problems.push(problem));
      // What was read stands ...
      expect(events.map((event) => event.jobKey)).toContain(jobId(1));
      // ... but the failure must reach the reaper, and no request may follow a 429 or an outage.
      expect(problems).toEqual([expect.objectContaining({ retryable: true })]);
      expect(calls.some((path) => path.includes('/pipelines/lib'))).toBe(false);
    },
  );
});
