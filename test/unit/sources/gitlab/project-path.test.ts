import { createGitlabWebhookReceiver, isProjectPattern } from '../../../../shared/sources/gitlab';

/**
 * GitLab lets a group have 20 ancestors (`Group::NUMBER_OF_ANCESTORS_ALLOWED`;
 * https://docs.gitlab.com/user/group/subgroups/), so a project path has up to 22 segments: the top
 * group, 20 subgroups, the project. A project at that depth was refused by the config and its Job
 * Hooks dropped as malformed (a review of the GitLab paths, 2026-12-05).
 */
const nowMs = Date.parse('2026-03-01T12:00:00Z');
const pathOf = (depth: number) =>
  ['top', ...Array.from({ length: depth - 2 }, (_, i) => `sub${i + 1}`), 'app'].join('/');

describe('a project at GitLab’s deepest subgroup level', () => {
  it('is a project path and pattern the config takes; one deeper than GitLab allows is not', () => {
    expect(isProjectPattern(pathOf(22))).toBe(true);
    expect(isProjectPattern(pathOf(23))).toBe(false);
  });

  it.each([
    [22, 'event'],
    [23, 'invalid'],
  ])('at %i segments, its pending job is read as %s', (depth, kind) => {
    const receiver = createGitlabWebhookReceiver({
      projects: ['top/**'],
      allowPublicProjects: false,
      maxJobAgeHours: 168,
      tags: ['linux'],
      now: () => nowMs,
    });
    const body = JSON.stringify({
      object_kind: 'build',
      build_id: 7,
      build_status: 'pending',
      build_created_at: new Date(nowMs - 60_000).toISOString(),
      project: { id: 42, visibility_level: 0, path_with_namespace: pathOf(depth) },
    });
    const parsed = receiver.parseWebhook({
      headers: { 'x-gitlab-event': 'Job Hook', 'x-gitlab-event-uuid': 'u-1' },
      rawBody: Buffer.from(body),
    });
    expect(parsed.kind).toBe(kind);
  });
});
