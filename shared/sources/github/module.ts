import * as v from '../../schema/valibot';
import { defineCiModule } from '../module';
import type { GithubSettings } from './config-schema';

/** GitHub Actions: JIT runners for `workflow_job` deliveries (docs/github.md). */
export const githubModule = defineCiModule<GithubSettings>()({
  name: 'github',
  urlSettings: ['apiUrl'],
  apiSecretEntries: (github) => [
    'token' in github.auth
      ? { where: 'sources.github.auth.token', ref: github.auth.token }
      : { where: 'sources.github.auth.app.privateKey', ref: github.auth.app.privateKey },
  ],
  detailsSchema: v.object({
    source: v.literal('github'),
    owner: v.string(),
    repo: v.string(),
    installationId: v.optional(v.number()),
    runId: v.optional(v.number()),
  }),
  // The runner reads ACTIONS_RUNNER_INPUT_JITCONFIG, as actions-runner-controller starts it. The
  // image's `runner` user is uid 1001 and owns /home/runner, where the runner writes _diag and _work:
  // as any other user it cannot start (actions/runner images/Dockerfile). Any tag of that image.
  podDefaults: {
    image: 'ghcr.io/actions/actions-runner:latest',
    command: ['/home/runner/run.sh'],
    runAsUser: 1001,
  },
  // A JIT runner runs one job and exits.
  agentsOutliveBuilds: false,
});
