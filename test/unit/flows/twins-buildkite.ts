import { requestIdFor } from '../../../shared/requests/identity';
import { signedHeadersFor } from '../../../shared/sources/signing';
import type { WebhookRequest } from '../../../shared/webhook';
import { startFakeBuildkite, type FakeBuildkite } from '../../../infra/local/stand-ins/buildkite-api';
import { createTwins, type Twins } from './twins';

export const bkWebhookSecret = 'buildkite-flow-webhook-token';

/** The twins with one Buildkite CI against the stand-in of Buildkite's REST API. */
export async function buildkiteTwins(
  options: { pollPipelines?: string[]; retries?: number; instanceCap?: number; labels?: string[] } = {},
): Promise<{ twins: Twins; buildkite: FakeBuildkite }> {
  const buildkite = await startFakeBuildkite({ organization: 'acme' });
  buildkite.state.pipelines.push({
    slug: 'app',
    visibility: 'private',
    repository: 'git@github.com:acme/app.git',
  });
  const yaml = `
cluster:
  credentials: { kind: kubeconfig, path: /tmp/k }
capacity: { globalCap: 5 }
sources:
  buildkite:
    webhookSecret: { value: ${bkWebhookSecret} }
    organization: acme
    apiUrl: ${buildkite.url}
    apiToken: { value: ${buildkite.apiToken} }
    agentToken: { value: bkat_flows01234456789abcdef0123456789ab }
    pipelines: [acme/app]
    pollPipelines: [${(options.pollPipelines ?? []).join(', ')}]
templates:
  - { name: bk, source: buildkite, labels: [${(options.labels ?? ['queue=kubernetes']).join(', ')}], instanceCap: ${options.instanceCap ?? 2}, retries: ${options.retries ?? 1} }
reaper:
  orphanGraceSeconds: 120
  lostGraceSeconds: 60
  staleQueuedSeconds: 900
`;
  return { twins: createTwins(yaml), buildkite };
}

/** A Buildkite job event for acme/app, signed at the twins' clock, as Buildkite sends it. */
export function buildkiteDelivery(
  twins: Twins,
  event: 'job.scheduled' | 'job.started' | 'job.finished',
  jobId: string,
  change: { state?: string; buildNumber?: number } = {},
): WebhookRequest {
  const nowMs = twins.clock.ms();
  const body = JSON.stringify({
    event,
    job: {
      id: jobId,
      type: 'script',
      name: 'RSpec',
      agent_query_rules: ['queue=kubernetes'],
      state:
        change.state ??
        (event === 'job.scheduled' ? 'scheduled' : event === 'job.started' ? 'running' : 'passed'),
      web_url: `https://buildkite.com/acme/app/builds/${change.buildNumber ?? 50}#${jobId}`,
      created_at: new Date(nowMs - 60_000).toISOString(),
      scheduled_at: new Date(nowMs - 60_000).toISOString(),
      runnable_at: new Date(nowMs - 50_000).toISOString(),
    },
    build: { number: change.buildNumber ?? 50, state: 'running', pull_request: null },
    pipeline: {
      slug: 'app',
      url: 'https://api.buildkite.com/v2/organizations/acme/pipelines/app',
      repository: 'git@github.com:acme/app.git',
      visibility: 'private',
    },
    sender: { id: '8a7693f8-dbae-4783-9137-84090fce9045', name: 'Some Person' },
  });
  return {
    source: 'buildkite',
    rawBody: Buffer.from(body),
    headers: {
      'content-type': 'application/json',
      'x-buildkite-event': event,
      ...signedHeadersFor('buildkite', body, bkWebhookSecret, nowMs),
    },
  };
}

export const buildkiteRequestId = (jobId: string): string => requestIdFor('buildkite', jobId.toLowerCase());
