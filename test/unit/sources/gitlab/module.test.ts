import { gitlabModule, gitlabRunnerCommand } from '../../../../shared/sources/gitlab';
import { gitlabConfigSchema } from '../../../../shared/sources/gitlab/config-schema';

const minimal = {
  webhookSecret: { value: 'secret' },
  apiToken: { ssm: '/pitcrew/{stage}/gitlab/api-token' },
  projects: ['acme/*'],
  tags: ['linux'],
};

describe('GitLab config section', () => {
  it('fills the defaults', () => {
    expect(gitlabConfigSchema.parse(minimal)).toEqual({
      ...minimal,
      apiUrl: 'https://gitlab.com',
      allowPublicProjects: false,
      maxJobAgeHours: 168,
      maxBacklog: 500,
      pollProjects: [],
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no project', { projects: [] }, 'projects'],
    ['a bad pattern', { projects: ['acme'] }, 'projects'],
    ['no tag', { tags: [] }, 'tags'],
    ['a tag with a comma', { tags: ['linux,docker'] }, 'tags'],
    ['maxJobAgeHours over 7 days', { maxJobAgeHours: 169 }, 'maxJobAgeHours'],
    ['an unknown field', { token: 'x' }, ''],
    ['a polled project not allowed', { pollProjects: ['mallory/app'] }, 'pollProjects'],
  ])('refuses %s', (_what, change, field) => {
    const parsed = gitlabConfigSchema.safeParse({ ...minimal, ...change });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => String(issue.path[0] ?? ''))).toContain(field);
  });

  it('names its API secret, and apiUrl as a URL a deployed stage wants https', () => {
    const settings = gitlabConfigSchema.parse(minimal);
    expect(gitlabModule.apiSecretEntries(settings)).toEqual([
      { where: 'sources.gitlab.apiToken', ref: minimal.apiToken },
    ]);
    expect(gitlabModule.urlSettings).toEqual(['apiUrl']);
  });

  it('runs gitlab-runner for one job, and its runners do not outlive their job', () => {
    expect(gitlabModule.podDefaults).toEqual({
      image: 'gitlab/gitlab-runner:latest',
      command: gitlabRunnerCommand,
    });
    expect(gitlabRunnerCommand).toEqual([
      'gitlab-runner',
      'run-single',
      '--max-builds',
      '1',
      '--wait-timeout',
      '600',
    ]);
    expect(gitlabModule.agentsOutliveBuilds).toBe(false);
  });
});
