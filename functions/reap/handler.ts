import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { createLogger, createMetrics, createTracing, metricNames, refreshSecrets } from '../../shared/lambda';
import { reap, type ReapPorts, type ReapReport } from '../../shared/reap';
import { createReapPorts, createRuntime } from '../../shared/runtime';
import { ciSide } from '../../shared/runtime/ci-side';

const runtime = await createRuntime('reap', process.env, ciSide);
const logger = createLogger('reap', runtime.settings.stage);
const metrics = createMetrics('reap', runtime.settings.stage, logger);
const tracing = await createTracing('reap', [runtime.db, runtime.sqs], process.env);
const ports: ReapPorts = createReapPorts(runtime, logger);

/** Publishes one run's report as CloudWatch metrics (EMF, written with the log line). */
function publish(report: ReapReport): void {
  for (const [phase, count] of Object.entries(report.podsByPhase)) {
    metrics.singleMetric().addDimension('phase', phase).addMetric('Pods', MetricUnit.Count, count);
  }
  for (const [template, count] of Object.entries(report.podsByTemplate)) {
    metrics
      .singleMetric()
      .addDimension('template', template)
      .addMetric('PodsByTemplate', MetricUnit.Count, count);
  }
  for (const [reason, count] of Object.entries(report.deleted)) {
    metrics
      .singleMetric()
      .addDimension('reason', reason)
      .addMetric(metricNames.podsDeleted, MetricUnit.Count, count ?? 0);
  }
  metrics.addMetric(metricNames.waitingRequests, MetricUnit.Count, report.waiting);
  metrics.addMetric(metricNames.oldestWaitingSeconds, MetricUnit.Seconds, report.oldestWaitingSeconds);
  metrics.addMetric('CounterRepairs', MetricUnit.Count, report.counterRepairs);
  metrics.addMetric('LostRequests', MetricUnit.Count, report.lost);
  metrics.addMetric('ExpiredRequests', MetricUnit.Count, report.expired);
  metrics.addMetric('ReapErrors', MetricUnit.Count, report.errors);
  metrics.addMetric(metricNames.reapRuns, MetricUnit.Count, 1);
}

/** The schedule's entry point (and ops `reconcile`'s, with `force` to trim running pods over a lowered cap). */
async function runReaper(event: { force?: unknown } | undefined): Promise<ReapReport> {
  const report = await reap(ports, { force: event?.force === true });
  if (!report.skipped) publish(report);
  return report;
}

export const handler = middy(runReaper)
  .use(tracing)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(refreshSecrets(runtime, logger));
