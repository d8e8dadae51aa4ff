import { requestIdFor } from '../../../shared/requests/identity';
import { signedHeadersFor } from '../../../shared/sources/signing';
import type { WebhookRequest } from '../../../shared/webhook';
import { startFakeBuildkite, type FakeBuildkite } from '../../../infra/local/stand-ins/buildkite-api';
import { createTwins, type Twins } from './twins';
import { jobEvent } from '../sources/buildkite/contract-samples';
export { jobId } from '../sources/buildkite/contract-samples';

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

/**
 * The contract samples' job event for acme/app, build 50 (its job `jobId`), signed at the twins' clock
 * as Buildkite sends it.
 */
export function buildkiteDelivery(
  twins: Twins,
  event: 'job.scheduled' | 'job.started' | 'job.finished',
): WebhookRequest {
  const nowMs = twins.clock.ms();
  const { headers, body } = jobEvent(event, nowMs);
  return {
    source: 'buildkite',
    rawBody: Buffer.from(body),
    headers: { ...headers, ...signedHeadersFor('buildkite', body, bkWebhookSecret, nowMs) },
  };
}

export const buildkiteRequestId = (jobId: string): string => requestIdFor('buildkite', jobId.toLowerCase());
