import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { parseConfig, type SecretRef } from '../../../shared/config';
import type { OpsPorts } from '../../../shared/ops';
import { silentLogger, type LoggerPort } from '../../../shared/ports/logger';
import type { ProvisionPorts } from '../../../shared/provision';
import type { ReapPorts } from '../../../shared/reap';
import { createWebhookRegistry } from '../../../shared/runtime/sources';
import { createSourceRegistry } from '../../../shared/runtime/api-sources';
import type { SourceRegistry } from '../../../shared/sources/types';
import { createBacklogGate, type WebhookPorts } from '../../../shared/webhook';
import { attemptSeconds, type Twins } from './twins';

const inline = (ref: SecretRef): string => ('value' in ref ? ref.value : '');

/**
 * The same state, cluster, queue and clock as `twins`, with every function's ports built from another
 * config, as after `npm run package` + deploy of an edited config (each bundle's config is compiled in).
 * `sources` overrides the API adapters (a named CI that keeps its agents), as `namedCi` does; `logger`
 * hears provision's and the reaper's logs.
 */
export function reconfigure(
  twins: Twins,
  yaml: string,
  options: { sources?: SourceRegistry; logger?: LoggerPort } = {},
): Twins {
  const logger = options.logger ?? silentLogger;
  const config = parseConfig(yaml);
  const namespace = config.cluster.namespace;
  const { clock, state, agents, queue } = twins;
  const queries = state.queries;
  const sources = options.sources ?? createSourceRegistry(config.sources, inline);
  const webhook: WebhookPorts = {
    webhooks: createWebhookRegistry(config.sources, inline, clock.ms),
    backlog: createBacklogGate({ count: queries.countBacklog, now: clock.ms }),
    templates: config.templates,
    requests: state.requests,
    deliveries: state.deliveries,
    queue,
    logger: silentLogger,
    now: clock.now,
  };
  const provision: ProvisionPorts = {
    config: { ...config, namespace },
    sources,
    requests: state.requests,
    capacity: state.capacity,
    settings: state.settings,
    agents,
    logger,
    queue,
    attemptSeconds,
    now: clock.now,
  };
  const reap: ReapPorts = {
    config: { ...config, namespace },
    sources,
    requests: state.requests,
    capacity: state.capacity,
    settings: state.settings,
    leases: state.leases,
    agents,
    queue,
    logger,
    now: clock.now,
  };
  const sqs = new SQSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
  });
  mockClient(sqs)
    .on(GetQueueAttributesCommand)
    .resolves({ Attributes: { ApproximateNumberOfMessages: '0' } });
  const ops: OpsPorts = {
    ...reap,
    settings: state.settings,
    agents,
    queue,
    queries,
    sqs,
    dlqUrl: 'https://sqs.invalid/dlq',
    loadSources: () => Promise.resolve(),
  };
  return { config, namespace, clock, state, agents, queue, webhook, provision, reap, ops };
}
