import {
  createGitlabWebhookReceiver,
  isProjectPattern,
  judgeGitlabJob,
  parseGitlabTime,
  projectMatches,
  visibilityOf,
} from '../../../../shared/sources/gitlab';
import type { GitlabTrustPolicy } from '../../../../shared/sources/gitlab';
import { jobHook } from './contract-samples';

const nowMs = Date.parse('2026-03-01T12:00:00Z');
const policy: GitlabTrustPolicy = {
  projects: ['acme/*', 'platform/**', 'solo/tool'],
  allowPublicProjects: false,
  maxJobAgeHours: 24,
  now: () => nowMs,
};
const recent = new Date(nowMs - 60_000).toISOString();

describe('GitLab project patterns', () => {
  it.each([
    ['acme/*', 'acme/app', true],
    ['acme/*', 'ACME/App', true],
    ['acme/*', 'acme/sub/app', false],
    ['acme/**', 'acme/sub/deeper/app', true],
    ['acme/**', 'acme', false],
    ['acme/**', 'acmeco/app', false],
    ['acme/sub/*', 'acme/sub/app', true],
    ['solo/tool', 'solo/tool', true],
    ['solo/tool', 'solo/tool2', false],
  ])('%s matches %s: %s', (pattern, path, expected) => {
    expect(projectMatches(pattern, path)).toBe(expected);
  });

  it.each(['acme/*', 'acme/**', 'a/b/c', 'a_b/c.d-e'])('accepts the pattern %s', (pattern) => {
    expect(isProjectPattern(pattern)).toBe(true);
  });

  it.each(['*', 'acme', '*/app', 'acme/*/app', 'acme/ap p', '../acme', 'acme//app', 'acme/**/x'])(
    'refuses the pattern %s',
    (pattern) => {
      expect(isProjectPattern(pattern)).toBe(false);
    },
  );
});

describe('GitLab trust policy', () => {
  const origin = {
    action: 'queued' as const,
    projectPath: 'acme/app',
    visibilityLevel: 0,
    createdAt: recent,
  };

  it('lets a recent job of an allowed private or internal project through', () => {
    expect(judgeGitlabJob(origin, policy)).toBeUndefined();
    expect(judgeGitlabJob({ ...origin, visibilityLevel: 10 }, policy)).toBeUndefined();
    expect(judgeGitlabJob({ ...origin, projectPath: 'platform/team/svc' }, policy)).toBeUndefined();
  });

  it('refuses a project that is not allowed, naming it', () => {
    expect(judgeGitlabJob({ ...origin, projectPath: 'mallory/app' }, policy)).toMatchObject({
      kind: 'refused',
      reason: 'project-not-allowed',
      subject: 'mallory/app',
    });
  });

  it('refuses a public project unless allowed, and a project of unknown visibility', () => {
    expect(judgeGitlabJob({ ...origin, visibilityLevel: 20 }, policy)).toMatchObject({
      reason: 'public-project',
    });
    expect(
      judgeGitlabJob({ ...origin, visibilityLevel: 20 }, { ...policy, allowPublicProjects: true }),
    ).toBeUndefined();
    expect(judgeGitlabJob({ ...origin, visibilityLevel: undefined }, policy)).toMatchObject({
      reason: 'visibility-unknown',
    });
    expect(judgeGitlabJob({ ...origin, visibilityLevel: 30 }, policy)).toMatchObject({
      reason: 'public-project',
    });
  });

  it('refuses a queued job older than maxJobAgeHours, or without a date: the token proves no time', () => {
    const old = new Date(nowMs - 25 * 3_600_000).toISOString();
    expect(judgeGitlabJob({ ...origin, createdAt: old }, policy)).toMatchObject({
      reason: 'job-too-old',
      problem: expect.stringContaining('25 h ago'),
    });
    expect(judgeGitlabJob({ ...origin, createdAt: undefined }, policy)).toMatchObject({
      reason: 'job-too-old',
    });
    expect(judgeGitlabJob({ ...origin, createdAt: 'yesterday' }, policy)).toMatchObject({
      reason: 'job-too-old',
    });
  });

  it('does not judge the age of the end of a long job', () => {
    const old = new Date(nowMs - 30 * 3_600_000).toISOString();
    expect(judgeGitlabJob({ ...origin, action: 'completed', createdAt: old }, policy)).toBeUndefined();
  });

  it('reads both date forms GitLab has sent', () => {
    expect(parseGitlabTime('2016-08-12 15:23:28 UTC')).toBe(Date.parse('2016-08-12T15:23:28Z'));
    expect(parseGitlabTime('2021-02-23T02:41:37.886Z')).toBe(Date.parse('2021-02-23T02:41:37.886Z'));
    expect(parseGitlabTime('2021-02-23')).toBeNaN();
  });

  // Rails' `to_s` names a zone other than UTC by its offset: an instance with `time_zone` set.
  it('reads the second form with an offset, as the instant it names', () => {
    expect(parseGitlabTime('2026-03-01 13:59:00 +0100')).toBe(Date.parse('2026-03-01T12:59:00Z'));
    expect(parseGitlabTime('2026-03-01 05:59:00.25 -0700')).toBe(Date.parse('2026-03-01T12:59:00.25Z'));
    expect(parseGitlabTime('2026-03-01 13:59:00 +01')).toBeNaN();
    expect(parseGitlabTime('2026-03-01 13:59:00 CET')).toBeNaN();
  });

  it('takes a pending job of an instance in another zone, created a minute ago', () => {
    const createdAt = new Date(nowMs - 60_000 + 3_600_000).toISOString().replace('T', ' ').slice(0, 19);
    expect(judgeGitlabJob({ ...origin, createdAt: `${createdAt} +0100` }, policy)).toBeUndefined();
  });

  it('treats only 0 and 10 as not public', () => {
    expect([0, 10, 20, undefined].map(visibilityOf)).toEqual([
      'not public',
      'not public',
      'public',
      'unknown',
    ]);
  });

  it('refuses through the receiver, with the reasons the module declares', () => {
    const receiver = createGitlabWebhookReceiver({ ...policy, tags: ['linux'] });
    const delivery = jobHook('pending', nowMs, 'mallory/app');
    const parsed = receiver.parseWebhook({ headers: delivery.headers, rawBody: Buffer.from(delivery.body) });
    expect(parsed).toMatchObject({ kind: 'refused', reason: 'project-not-allowed' });
  });
});
