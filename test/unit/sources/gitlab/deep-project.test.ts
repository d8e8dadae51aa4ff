import { listQueuedBuilds } from '../../../../shared/sources/gitlab/polling';
import type { GitlabCall, GitlabResponse } from '../../../../shared/sources/gitlab/api';
import { parseGitlabWebhook } from '../../../../shared/sources/gitlab/webhook';
import { projectPathSchema } from '../../../../shared/sources/gitlab/project-path';
import * as v from '../../../../shared/schema/valibot';
import type { CiError } from '../../../../shared/sources/errors';

/**
 * A GitLab project whose path is deep (project paths may be 2,048 characters, 22 segments of up to
 * 255) has links over 2,000 characters. A first version of the one build-link schema (bug 76) refused
 * such a link: the Job Hook was answered `dropped` (GitLab's failing webhooks are), and the poll
 * skipped the job without a word, so the build was lost for a display link. A CI's link that cannot be
 * kept is now dropped and the build taken (a review of the fixes, 2026-12-06).
 */
const host = 'https://gitlab.example.com';
// 8 segments of 248 characters: 1,991 characters, a path projectPathSchema accepts.
const path = Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(97 + i)}${'x'.repeat(247)}`).join(
  '/',
);

describe('a GitLab project with a deep path (accepted by projectPathSchema)', () => {
  it('is a path Pitcrew accepts everywhere else', () => {
    expect(v.safeParse(projectPathSchema, path).success).toBe(true);
    expect(`${host}/${path}`.length).toBeGreaterThan(2000);
    expect(`${host}/${path}`.length).toBeLessThanOrEqual(2048);
  });

  /** A GitLab with the project and one pending job, whose web_url is `jobUrl`. */
  const gitlab =
    (jobUrl: string) =>
    (call: GitlabCall): Promise<GitlabResponse> => {
      const headers = new Headers({ 'ratelimit-remaining': '1000' });
      if (call.path.includes('/jobs'))
        return Promise.resolve({
          status: 200,
          headers,
          body: [{ id: 1977, status: 'pending', tag_list: ['linux'], web_url: jobUrl }],
        });
      return Promise.resolve({
        status: 200,
        headers,
        body: { id: 42, path_with_namespace: path, visibility: 'private', web_url: `${host}/${path}` },
      });
    };
  const poll = async (jobUrl: string) => {
    const problems: CiError[] = [];
    const events = await listQueuedBuilds(
      { fetch: gitlab(jobUrl), now: () => Date.now() },
      { projects: [path], allowedProjects: [path], allowPublicProjects: false, tags: ['linux'] },
      (problem) => problems.push(problem),
    );
    return { events: events.map((event) => event.jobKey), problems: problems.length };
  };

  it('control: the same job with a short link is recovered', async () => {
    expect(await poll(`${host}/x/-/jobs/1977`)).toEqual({ events: ['42:1977'], problems: 0 });
  });

  it('has its pending job recovered by the poll, not silently skipped', async () => {
    expect(await poll(`${host}/${path}/-/jobs/1977`)).toEqual({ events: ['42:1977'], problems: 0 });
  });

  it('has its Job Hook taken', () => {
    const body = {
      object_kind: 'build',
      build_id: 1977,
      build_status: 'pending',
      build_created_at_iso: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      project: { id: 42, path_with_namespace: path, web_url: `${host}/${path}`, visibility_level: 0 },
    };
    const parsed = parseGitlabWebhook(
      {
        headers: { 'x-gitlab-event': 'Job Hook', 'x-gitlab-event-uuid': 'u-1' },
        rawBody: Buffer.from(JSON.stringify(body)),
      },
      ['linux'],
    );
    expect(parsed).toMatchObject({ kind: 'event', event: { action: 'queued' } });
  });
});
