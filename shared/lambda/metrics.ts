import { Metrics } from '@aws-lambda-powertools/metrics';

/** The CloudWatch namespace of Pitcrew's own metrics; serverless.yml's alarms and dashboard read it. */
export const metricsNamespace = 'Pitcrew';

/**
 * Metrics written as EMF with the log line (no PutMetricData call, no IAM): dimensions `service`
 * (`pitcrew-<fn>`) and `stage`, so two stages in one account never mix. Alarms match these exact
 * dimensions, so add per-template breakdowns with `singleMetric()` beside the totals, never instead.
 */
export const createMetrics = (fn: string, stage: string, logger?: MetricsLogger): Metrics =>
  new Metrics({
    namespace: metricsNamespace,
    serviceName: `pitcrew-${fn}`,
    defaultDimensions: { stage },
    ...(logger ? { logger: quietWhenEmpty(logger) } : {}),
  });

/** What Powertools Metrics logs its own warnings through (the function's Powertools Logger fits). */
export interface MetricsLogger {
  debug(message: string, ...rest: unknown[]): void;
  info(message: string, ...rest: unknown[]): void;
  warn(message: string, ...rest: unknown[]): void;
  error(message: string, ...rest: unknown[]): void;
}

/**
 * Powertools warns "No application metrics to publish" after every invocation that added none,
 * which for Pitcrew is the ordinary case (a provision batch of duplicates, a drained queue): that
 * one warning goes to debug, every other warning stays a warning.
 */
function quietWhenEmpty(logger: MetricsLogger): MetricsLogger {
  return {
    debug: (message, ...rest) => logger.debug(message, ...rest),
    info: (message, ...rest) => logger.info(message, ...rest),
    error: (message, ...rest) => logger.error(message, ...rest),
    warn: (message, ...rest) =>
      String(message).startsWith('No application metrics to publish')
        ? logger.debug(message, ...rest)
        : logger.warn(message, ...rest),
  };
}

/** The metric names, shared by the handlers, serverless.yml (alarms, dashboard) and its test. */
export const metricNames = {
  webhooks: 'Webhooks',
  refusedJobs: 'RefusedJobs',
  provisioned: 'Provisioned',
  provisionFailed: 'ProvisionFailed',
  provisionWaiting: 'ProvisionWaiting',
  provisionRetried: 'ProvisionRetried',
  queuedToPodSeconds: 'QueuedToPodSeconds',
  podsDeleted: 'PodsDeleted',
  waitingRequests: 'WaitingRequests',
  oldestWaitingSeconds: 'OldestWaitingSeconds',
  /** One per reaper run that held the lease and ran: the reaper-stopped alarm's heartbeat. */
  reapRuns: 'ReapRuns',
} as const;
