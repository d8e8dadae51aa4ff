import { startFakeBuildkite } from '../../../../infra/local/stand-ins/buildkite-api';
import type { CiContractSamples, SampleDelivery } from '../../../contracts/ci-source';

export const jobId = 'b63254c0-3271-4a98-8270-7cfbd6c2f14e';

/**
 * A job event shaped as https://buildkite.com/docs/apis/webhooks/pipelines/job-events documents it,
 * its job and pipeline objects trimmed from the REST examples of
 * https://buildkite.com/docs/apis/rest-api/builds and .../pipelines.
 */
export const jobEvent = (
  event: string,
  nowMs: number,
  change: { organization?: string; pipeline?: string; state?: string; visibility?: string | null } = {},
): SampleDelivery => ({
  headers: { 'content-type': 'application/json', 'x-buildkite-event': event },
  body: JSON.stringify({
    event,
    job: {
      id: jobId,
      type: 'script',
      name: 'RSpec',
      agent_query_rules: ['queue=kubernetes'],
      state:
        change.state ??
        (event === 'job.scheduled' ? 'scheduled' : event === 'job.started' ? 'running' : 'passed'),
      web_url: `https://buildkite.com/acme/app/builds/50#${jobId}`,
      created_at: new Date(nowMs - 60_000).toISOString(),
      scheduled_at: new Date(nowMs - 60_000).toISOString(),
      runnable_at: new Date(nowMs - 50_000).toISOString(),
    },
    build: { number: 50, state: 'scheduled', pull_request: null },
    pipeline: {
      slug: change.pipeline ?? 'app',
      url: `https://api.buildkite.com/v2/organizations/${change.organization ?? 'acme'}/pipelines/${change.pipeline ?? 'app'}`,
      repository: 'git@github.com:acme/app.git',
      ...(change.visibility === null ? {} : { visibility: change.visibility ?? 'private' }),
    },
    sender: { id: '8a7693f8-dbae-4783-9137-84090fce9045', name: 'Some Person' },
  }),
});

export const minimalBuildkiteConfig = {
  webhookSecret: { value: 'buildkite-contract-webhook-token' },
  organization: 'acme',
  apiToken: { value: 'bkua_contract0123456789abcdef0123456789ab' },
  agentToken: { value: 'bkat_contract0123456789abcdef0123456789ab' },
  pipelines: ['acme/*'],
};

/**
 * A Buildkite agent registers itself when its pod starts (the adapter makes no API call to create
 * one): `connect` plays that pod against the stand-in, with the name the adapter gave it.
 */
export const buildkiteContractSamples: CiContractSamples = {
  minimalConfig: minimalBuildkiteConfig,
  requiredField: 'pipelines',
  deliveries: (nowMs) => ({
    queued: jobEvent('job.scheduled', nowMs),
    started: jobEvent('job.started', nowMs),
    completed: jobEvent('job.finished', nowMs),
  }),
  // Only acme/* is allowed.
  refused: (nowMs) => jobEvent('job.scheduled', nowMs, { pipeline: 'secret-app', organization: 'mallory' }),
  async startApi() {
    const buildkite = await startFakeBuildkite({ organization: 'acme' });
    buildkite.state.pipelines.push({
      slug: 'app',
      visibility: 'private',
      repository: 'git@github.com:acme/app.git',
    });
    return {
      config: {
        ...minimalBuildkiteConfig,
        apiUrl: buildkite.url,
        apiToken: { value: buildkite.apiToken },
        pollPipelines: ['acme/app'],
      },
      details: { source: 'buildkite', organization: 'acme', pipeline: 'app', jobId },
      agentNames: () =>
        buildkite.state.agents
          .filter((agent) => agent.connectionState === 'connected')
          .map((agent) => agent.name),
      connect(agentName, credentials) {
        // The pod gets the token only through its Secret, and names itself as the adapter said.
        expect(credentials.secretEnv.BUILDKITE_AGENT_TOKEN).toBe(minimalBuildkiteConfig.agentToken.value);
        expect(credentials.env.BUILDKITE_AGENT_NAME).toBe(agentName);
        buildkite.connect(agentName);
      },
      queueJob() {
        const id = '0188a1b2-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
        buildkite.state.builds.push({
          pipeline: 'app',
          number: 51,
          state: 'scheduled',
          jobs: [{ id, type: 'script', state: 'scheduled', agentQueryRules: ['queue=kubernetes'] }],
        });
        return { jobKey: id };
      },
      close: () => buildkite.close(),
    };
  },
};
