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
