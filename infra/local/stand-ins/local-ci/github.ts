import { randomBytes, randomUUID } from 'node:crypto';
import { startFakeGithub } from '../github-api';
import type { LocalCi, LocalBuildAction } from '../local-ci';

const labels = ['self-hosted', 'linux', 'x64'] as const;

/** GitHub's `action` for a build's state: a cancel is a `completed` delivery with that conclusion. */
const githubAction = (action: LocalBuildAction): string =>
  action === 'started' ? 'in_progress' : action === 'cancelled' ? 'completed' : action;

/** GitHub Actions: `workflow_job` deliveries of acme/app, runners at the GitHub stand-in. */
export const githubLocalCi: LocalCi<'github'> = {
  name: 'github',
  labels,
  // The module's default image (the actions runner): nothing to add.
  template: {},
  delivery(id, action, options = {}) {
    return {
      body: {
        action: githubAction(action),
        workflow_job: {
          id,
          run_id: 10_000 + id,
          labels: [...(options.labels ?? labels)],
          html_url: `https://github.com/acme/app/actions/runs/${10_000 + id}/job/${id}`,
          conclusion:
            action === 'cancelled'
              ? 'cancelled'
              : action === 'completed'
                ? options.failed
                  ? 'failure'
                  : 'success'
                : null,
          created_at: new Date().toISOString(),
        },
        // A private repository (public ones are refused by default) and a job created now.
        repository: { name: 'app', owner: { login: 'acme' }, private: true, visibility: 'private' },
      },
      headers: { 'x-github-event': 'workflow_job', 'x-github-delivery': options.deliveryId ?? randomUUID() },
    };
  },
  jobKeyOf: (id) => String(id),
  stringFields: [
    ['workflow_job', 'labels', '0'],
    ['workflow_job', 'html_url'],
    ['repository', 'name'],
    ['repository', 'owner', 'login'],
    ['repository', 'visibility'],
    ['workflow_job', 'created_at'],
    ['action'],
  ],
  // Its config allows acme/app and pitcrew/*, private repositories, jobs of the last 24 hours.
  untrustedChanges: [
    [['repository', 'owner', 'login'], 'mallory'],
    [['repository', 'name'], 'not-listed'],
    [['repository'], { name: 'app', owner: { login: 'acme' }, private: false }],
    [['repository', 'visibility'], 'public'],
    [['workflow_job', 'created_at'], '2020-01-01T00:00:00Z'],
  ],
  secondOrigin: {
    name: 'pitcrew/deploy',
    changes: [
      [['repository', 'owner', 'login'], 'pitcrew'],
      [['repository', 'name'], 'deploy'],
    ],
  },
  async start() {
    const token = `ghp_local${randomBytes(12).toString('hex')}`;
    const github = await startFakeGithub({ tokens: [token] });
    return {
      standIn: { url: github.url, description: 'the GitHub REST API' },
      context: { url: github.url },
      configSection: (webhookSecret, extra = {}) => ({
        webhookSecret: { value: webhookSecret },
        apiUrl: github.url,
        auth: { token: { value: token } },
        // The kit's deliveries come from acme/app; `npm run bench`'s from pitcrew/bench.
        repositories: ['acme/app', 'pitcrew/*'],
        ...extra,
      }),
      agentNames: () => github.state.runners.map((runner) => runner.name),
      failFor: (forMs, failure) => github.failFor(forMs, failure),
      failuresServed: () => github.failuresServed(),
      close: () => github.close(),
    };
  },
};
