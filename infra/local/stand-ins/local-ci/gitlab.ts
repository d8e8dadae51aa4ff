import { randomUUID } from 'node:crypto';
import { startFakeGitlab } from '../gitlab-api';
import type { LocalBuildAction, LocalCi } from '../local-ci';

/**
 * GitLab CI as the local tools play it: Job Hooks of one private project, `acme/app`, whose jobs ask
 * for the tag `linux`, and its REST API stand-in (gitlab-api.ts), which knows `acme/deploy` too.
 */
const projectId = 4242;
const projectPath = 'acme/app';
const apiToken = 'glpat-PitcrewLocalToken0123456789';
const labels = ['linux'] as const;
/** Another private project of the group, for templates kept to one project (`secondOrigin`). */
const secondProject = { id: 4343, path: 'acme/deploy', visibility: 'private' } as const;

/** The job status GitLab sends for each action (https://docs.gitlab.com/api/jobs/, job statuses). */
const statusOf = (action: LocalBuildAction, failed: boolean | undefined): string => {
  if (action === 'queued') return 'pending';
  if (action === 'started') return 'running';
  if (action === 'cancelled') return 'canceled';
  return failed ? 'failed' : 'success';
};

export const gitlabLocalCi: LocalCi<'gitlab'> = {
  name: 'gitlab',
  labels,
  // The module's podDefaults name the gitlab/gitlab-runner image and its run-single command.
  template: {},
  /**
   * A Job Hook (https://docs.gitlab.com/user/project/integrations/webhook_events/#job-events). It
   * carries no job tags, so `options.labels` cannot be expressed: the source's `tags` setting stands
   * in for them, and the stand-in answers a job lookup with the kit's labels.
   */
  delivery(id, action, options = {}) {
    const deliveryId = options.deliveryId ?? randomUUID();
    const createdAt = new Date(Date.now() - 60_000).toISOString();
    return {
      headers: {
        'content-type': 'application/json',
        'x-gitlab-event': 'Job Hook',
        'x-gitlab-event-uuid': deliveryId,
        'idempotency-key': deliveryId,
        'x-gitlab-instance': 'https://gitlab.example.com',
      },
      body: {
        object_kind: 'build',
        ref: 'main',
        tag: false,
        build_id: id,
        build_name: 'test',
        build_stage: 'test',
        build_status: statusOf(action, options.failed),
        build_created_at: createdAt,
        build_created_at_iso: createdAt.replace(/\.\d{3}Z$/, 'Z'),
        pipeline_id: 2366,
        project_id: projectId,
        project_name: 'Acme / App',
        project: {
          id: projectId,
          name: 'App',
          web_url: `https://gitlab.example.com/${projectPath}`,
          namespace: 'Acme',
          visibility_level: 0,
          path_with_namespace: projectPath,
          default_branch: 'main',
        },
        repository: {
          name: 'app',
          homepage: `https://gitlab.example.com/${projectPath}`,
          visibility_level: 0,
        },
        runner: null,
        environment: null,
      },
    };
  },
  jobKeyOf: (id) => `${projectId}:${id}`,
  stringFields: [
    ['object_kind'],
    ['build_status'],
    ['build_name'],
    ['build_created_at'],
    ['build_created_at_iso'],
    ['project', 'path_with_namespace'],
    ['project', 'web_url'],
  ],
  // Its config allows acme/*, private and internal projects, jobs of the last week.
  untrustedChanges: [
    [['project', 'path_with_namespace'], 'mallory/app'],
    [['project', 'path_with_namespace'], 'acme/sub/app'],
    [['project', 'visibility_level'], 20],
    [['build_created_at_iso'], '2020-01-01T00:00:00Z'],
  ],
  secondOrigin: {
    name: 'acme/deploy',
    changes: [
      [['project_id'], secondProject.id],
      [['project', 'id'], secondProject.id],
      [['project', 'path_with_namespace'], secondProject.path],
      [['project', 'web_url'], `https://gitlab.example.com/${secondProject.path}`],
    ],
  },
  async start() {
    const gitlab = await startFakeGitlab({
      tokens: [apiToken],
      projects: [{ id: projectId, path: projectPath, visibility: 'private' }, secondProject],
      defaultJobTags: labels,
    });
    return {
      standIn: { url: gitlab.url, description: 'the GitLab REST API v4' },
      context: { url: gitlab.url },
      configSection: (webhookSecret, extra = {}) => ({
        webhookSecret: { value: webhookSecret },
        apiUrl: gitlab.url,
        apiToken: { value: apiToken },
        projects: ['acme/*'],
        tags: [...labels],
        ...(extra.maxBacklog === undefined ? {} : { maxBacklog: extra.maxBacklog }),
      }),
      agentNames: () => gitlab.state.runners.map((runner) => runner.description),
      failFor: (forMs, failure) => gitlab.failFor(forMs, failure),
      failuresServed: () => gitlab.failuresServed(),
      close: () => gitlab.close(),
    };
  },
};
