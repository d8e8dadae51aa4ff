import { randomBytes } from 'node:crypto';
import { startFakeBuildkite } from '../buildkite-api';
import type { LocalBuildAction, LocalCi } from '../local-ci';

const labels = ['queue=kubernetes'] as const;

/** Buildkite's event for a build's state: a cancel is a `job.finished` whose job is `canceled`. */
const eventFor = (action: LocalBuildAction): string =>
  action === 'queued' ? 'job.scheduled' : action === 'started' ? 'job.started' : 'job.finished';

const jobStateFor = (action: LocalBuildAction, failed: boolean | undefined): string =>
  action === 'queued'
    ? 'scheduled'
    : action === 'started'
      ? 'running'
      : action === 'cancelled'
        ? 'canceled'
        : failed
          ? 'failed'
          : 'passed';

/** Build `id` as a job UUID, stable for each id (Buildkite's job ids are UUIDs). */
const jobIdOf = (id: number): string =>
  `01900000-0000-4000-8000-${id.toString(16).padStart(12, '0').slice(-12)}`;

/** Buildkite: job events of acme/app as its webhook sends them (https://buildkite.com/docs/apis/webhooks/pipelines/job-events). */
export const buildkiteLocalCi: LocalCi<'buildkite'> = {
  name: 'buildkite',
  labels,
  // The module's default image (buildkite/agent:3): nothing to add.
  template: {},
  delivery(id, action, options = {}) {
    const event = eventFor(action);
    const jobId = jobIdOf(id);
    const now = new Date().toISOString();
    return {
      body: {
        event,
        job: {
          id: jobId,
          type: 'script',
          state: jobStateFor(action, options.failed),
          agent_query_rules: [...(options.labels ?? labels)],
          web_url: `https://buildkite.com/acme/app/builds/${id}#${jobId}`,
          created_at: now,
          scheduled_at: now,
          runnable_at: now,
        },
        build: { number: id, pull_request: null },
        // A private pipeline (public ones are refused by default).
        pipeline: {
          slug: 'app',
          url: 'https://api.buildkite.com/v2/organizations/acme/pipelines/app',
          visibility: 'private',
          repository: 'git@github.com:acme/app.git',
        },
        sender: { id: '8a7693f8-dbae-4783-9137-84090fce9045', name: 'Pitcrew Demo' },
      },
      // No delivery id header exists: the receiver derives `<event>:<job id>` (options.deliveryId is not sendable).
      headers: { 'x-buildkite-event': event },
    };
  },
  jobKeyOf: (id) => jobIdOf(id),
  stringFields: [
    ['job', 'agent_query_rules', '0'],
    ['job', 'web_url'],
    ['job', 'id'],
    ['job', 'created_at'],
    ['pipeline', 'slug'],
    ['pipeline', 'url'],
    ['pipeline', 'visibility'],
    ['pipeline', 'repository'],
    ['event'],
  ],
  // Its config allows acme/app and acme/deploy in organization acme, private pipelines, no forks.
  untrustedChanges: [
    [['pipeline', 'slug'], 'not-listed'],
    [['pipeline', 'url'], 'https://api.buildkite.com/v2/organizations/mallory/pipelines/app'],
    [['pipeline', 'visibility'], 'public'],
    [['pipeline', 'visibility'], null],
    [['build', 'pull_request'], { id: '7', base: 'main', repository: 'https://github.com/mallory/app.git' }],
  ],
  secondOrigin: {
    name: 'acme/deploy',
    changes: [
      [['pipeline', 'slug'], 'deploy'],
      [['pipeline', 'url'], 'https://api.buildkite.com/v2/organizations/acme/pipelines/deploy'],
    ],
  },
  async start() {
    const buildkite = await startFakeBuildkite({
      organization: 'acme',
      apiToken: `bkua_local${randomBytes(16).toString('hex')}`,
    });
    const agentToken = `bkat_local${randomBytes(16).toString('hex')}`;
    return {
      standIn: {
        url: buildkite.url,
        description: 'the Buildkite REST API',
      },
      context: { url: buildkite.url },
      configSection: (webhookSecret, extra = {}) => ({
        webhookSecret: { value: webhookSecret },
        organization: 'acme',
        apiUrl: buildkite.url,
        apiToken: { value: buildkite.apiToken },
        agentToken: { value: agentToken },
        pipelines: ['acme/app', 'acme/deploy'],
        ...extra,
      }),
      // Agents register themselves when their pod starts; none runs here unless a test connects one.
      agentNames: () =>
        buildkite.state.agents
          .filter((agent) => agent.connectionState === 'connected')
          .map((agent) => agent.name),
      failFor: (forMs, failure) => buildkite.failFor(forMs, failure),
      failuresServed: () => buildkite.failuresServed(),
      close: () => buildkite.close(),
    };
  },
};
