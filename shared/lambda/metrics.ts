import { Metrics } from '@aws-lambda-powertools/metrics';

/** The CloudWatch namespace of Pitcrew's own metrics; serverless.yml's alarms and dashboard read it. */
export const metricsNamespace = 'Pitcrew';

/**
 * Metrics written as EMF with the log line (no PutMetricData call, no IAM): dimensions `service`
 * (`pitcrew-<fn>`) and `stage`, so two stages in one account never mix. Alarms match these exact
 * dimensions, so add per-template breakdowns with `singleMetric()` beside the totals, never instead.
 */
export const createMetrics = (fn: string, stage: string): Metrics =>
  new Metrics({ namespace: metricsNamespace, serviceName: `pitcrew-${fn}`, defaultDimensions: { stage } });

/** The metric names, shared by the handlers, serverless.yml (alarms, dashboard) and its test. */
export const metricNames = {
  webhooks: 'Webhooks',
  provisioned: 'Provisioned',
  provisionFailed: 'ProvisionFailed',
  provisionWaiting: 'ProvisionWaiting',
  provisionRetried: 'ProvisionRetried',
  queuedToPodSeconds: 'QueuedToPodSeconds',
  podsDeleted: 'PodsDeleted',
  waitingRequests: 'WaitingRequests',
  oldestWaitingSeconds: 'OldestWaitingSeconds',
} as const;
