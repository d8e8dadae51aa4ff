import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { ProvisionOutcome } from '../provision/provision-request';
import { metricNames } from './metrics';

/**
 * Counts one provision attempt's outcome; a created pod also records how long its build waited
 * from the queued webhook to the pod. A skipped message (already done, drained) counts as nothing.
 */
export function publishProvisionOutcome(metrics: Metrics, outcome: ProvisionOutcome, now: Date): void {
  switch (outcome.kind) {
    case 'provisioned': {
      metrics.addMetric(metricNames.provisioned, MetricUnit.Count, 1);
      const waitedMs = now.getTime() - new Date(outcome.queuedAt).getTime();
      if (Number.isFinite(waitedMs) && waitedMs >= 0)
        metrics.addMetric(metricNames.queuedToPodSeconds, MetricUnit.Seconds, waitedMs / 1000);
      return;
    }
    case 'failed':
      metrics.addMetric(metricNames.provisionFailed, MetricUnit.Count, 1);
      return;
    case 'waiting':
      metrics.addMetric(metricNames.provisionWaiting, MetricUnit.Count, 1);
      return;
    // Tried again later, as a transient failure is.
    case 'deferred':
      metrics.addMetric(metricNames.provisionRetried, MetricUnit.Count, 1);
      return;
    case 'skipped':
    case 'ended':
      return;
  }
}

/**
 * A delivery that threw (a transient failure, or any error): SQS delivers the message again, unless
 * this was its last delivery (then it goes to the dead-letter queue, a failure).
 */
export function publishProvisionRetry(metrics: Metrics, lastAttempt: boolean): void {
  metrics.addMetric(
    lastAttempt ? metricNames.provisionFailed : metricNames.provisionRetried,
    MetricUnit.Count,
    1,
  );
}
