import * as v from '../../schema/valibot';
import { defineCiModule } from '../module';
import type { GitlabSettings } from './config-schema';

/**
 * What `gitlab-runner run-single` needs beyond its variables (commands/single.go of
 * https://gitlab.com/gitlab-org/gitlab-runner): `--max-builds 1` makes it exit after one job, and
 * `--wait-timeout` after ten minutes without one (another runner took the job). These two are flags
 * only; the URL, token, executor and name come from the environment (adapter.ts).
 */
export const gitlabRunnerCommand = [
  'gitlab-runner',
  'run-single',
  '--max-builds',
  '1',
  '--wait-timeout',
  '600',
] as const;

/** GitLab CI: one project runner per pending job (docs/gitlab.md). */
export const gitlabModule = defineCiModule<GitlabSettings>()({
  name: 'gitlab',
  urlSettings: ['apiUrl'],
  apiSecretEntries: (gitlab) => [{ where: 'sources.gitlab.apiToken', ref: gitlab.apiToken }],
  detailsSchema: v.object({
    source: v.literal('gitlab'),
    projectId: v.number(),
    projectPath: v.string(),
    jobId: v.number(),
  }),
  // https://hub.docker.com/r/gitlab/gitlab-runner; pin a version in the template for production.
  podDefaults: { image: 'gitlab/gitlab-runner:latest', command: gitlabRunnerCommand },
  // A runner made for one job runs it and exits (--max-builds 1); it is removed when its job ends.
  agentsOutliveBuilds: false,
  // GitLab does not retry a delivery and switches a webhook off after failures in a row
  // (https://docs.gitlab.com/user/project/integrations/webhooks/#auto-disabled-webhooks).
  disablesFailingWebhooks: true,
});
