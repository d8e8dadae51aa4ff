import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { metricNames } from '../../../shared/lambda';
import { reap, type ReapPorts } from '../../../shared/reap';
import { createTwins, provisionedBuild } from '../flows/twins';

/**
 * serverless.yml's alarms against what the functions do (a review of what pages an operator,
 * 2026-12-06): the reaper-errors alarm must fire for a reaper that times out at every run, and read
 * the actions its runs could not take; the webhook-errors alarm must count the 503s the webhook
 * answers itself. CloudFormation tags (`!Ref X`) read as their plain argument here.
 */
interface MetricQuery {
  readonly Id: string;
  readonly Expression?: string;
  readonly MetricStat?: {
    readonly Metric: {
      readonly Namespace: string;
      readonly MetricName: string;
      readonly Dimensions?: readonly { readonly Name: string; readonly Value: unknown }[];
    };
    readonly Period: number;
  };
}
interface AlarmProperties {
  readonly Metrics?: readonly MetricQuery[];
  readonly EvaluationPeriods: number;
  readonly DatapointsToAlarm?: number;
  readonly Threshold: number;
}

function alarm(id: string): AlarmProperties {
  const template = parse(readFileSync('serverless.yml', 'utf8'), { logLevel: 'error' }) as {
    resources: { Resources: Record<string, { Properties: AlarmProperties }> };
  };
  const found = template.resources.Resources[id];
  if (!found) throw new Error(`serverless.yml has no ${id}`);
  return found.Properties;
}

/** The metrics a metric-math alarm reads, as `namespace/name dimension=value ...`. */
const readsOf = (properties: AlarmProperties): string[] =>
  (properties.Metrics ?? []).flatMap(({ MetricStat }) =>
    MetricStat
      ? [
          [
            `${MetricStat.Metric.Namespace}/${MetricStat.Metric.MetricName}`,
            ...(MetricStat.Metric.Dimensions ?? [])
              .filter(({ Name }) => Name !== 'stage')
              .map(({ Name, Value }) => `${Name}=${String(Value)}`),
          ].join(' '),
        ]
      : [],
  );

describe('the alarms', () => {
  /** Whether ReaperErrorsAlarm fires on these errors per minute, as CloudWatch evaluates it. */
  function reaperAlarmFires(errorsPerMinute: readonly number[]): boolean {
    const properties = alarm('ReaperErrorsAlarm');
    const periods = new Set((properties.Metrics ?? []).flatMap(({ MetricStat }) => MetricStat?.Period ?? []));
    expect(periods.size).toBe(1);
    const minutesPerPeriod = [...periods][0]! / 60;
    const datapoints = Array.from({ length: errorsPerMinute.length / minutesPerPeriod }, (_, period) =>
      errorsPerMinute
        .slice(period * minutesPerPeriod, (period + 1) * minutesPerPeriod)
        .reduce((sum, errors) => sum + errors, 0),
    );
    const needed = properties.DatapointsToAlarm ?? properties.EvaluationPeriods;
    return datapoints.some((_, end) => {
      const window = datapoints.slice(Math.max(0, end - properties.EvaluationPeriods + 1), end + 1);
      return window.filter((value) => value >= properties.Threshold).length >= needed;
    });
  }

  /** A reaper run each minute for a quarter of an hour on the twins: 1 for a minute whose run erred. */
  async function errorsPerMinute(
    ports: (twins: ReturnType<typeof createTwins>, minute: number) => ReapPorts,
  ): Promise<number[]> {
    const twins = createTwins();
    await provisionedBuild(twins, 'b1');
    const errors: number[] = [];
    for (let minute = 0; minute < 15; minute += 1) {
      // A run that throws is one Lambda error, as is one whose actions failed (ReapErrors).
      const run = reap(ports(twins, minute)).then(
        (report) => (report.skipped ? 'skipped' : report.errors > 0 ? 'erred' : 'done'),
        () => 'erred',
      );
      // In Lambda a run that never ends is cut off at its timeout, its lease kept: one error.
      const ended = await Promise.race([run, new Promise((resolve) => setTimeout(resolve, 5, 'timed out'))]);
      errors.push(ended === 'timed out' || ended === 'erred' ? 1 : 0);
      twins.clock.advance(60);
    }
    return errors;
  }

  it('reaper-errors fires within a quarter of an hour for a reaper that times out at every run', async () => {
    // The API server answers no list.
    const errors = await errorsPerMinute((twins) => ({
      ...twins.reap,
      agents: { ...twins.reap.agents, listPods: () => new Promise<never>(() => undefined) },
    }));
    // The lease outlives the run: the next two runs skip, returning normally.
    expect(errors.join('')).toBe('100'.repeat(5));
    expect(reaperAlarmFires(errors)).toBe(true);
  });

  it('reaper-errors stays quiet for a DynamoDB blip that fails two runs, which the next one redoes', async () => {
    const throttled = (): never => {
      throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
        name: 'ProvisionedThroughputExceededException',
      });
    };
    const errors = await errorsPerMinute((twins, minute) => ({
      ...twins.reap,
      capacity: {
        ...twins.reap.capacity,
        readCounters: () => (minute === 4 || minute === 5 ? throttled() : twins.reap.capacity.readCounters()),
      },
    }));
    expect(errors.join('')).toBe('000011000000000');
    expect(reaperAlarmFires(errors)).toBe(false);
  });

  it("reaper-errors reads the reap function's errors and the actions its runs could not take", () => {
    expect(readsOf(alarm('ReaperErrorsAlarm'))).toEqual([
      'AWS/Lambda/Errors FunctionName=ReapLambdaFunction',
      'Pitcrew/ReapErrors service=pitcrew-reap',
    ]);
    // The name the reap handler publishes its report's errors under.
    expect(readFileSync('functions/reap/handler.ts', 'utf8')).toContain("addMetric('ReapErrors'");
  });

  it('webhook-errors counts the 503s the webhook answers itself, as the handler names them', () => {
    expect(readsOf(alarm('WebhookErrorsAlarm'))).toContain(
      'Pitcrew/Webhooks service=pitcrew-webhook outcome=unavailable',
    );
    expect(readFileSync('shared/webhook/outcome.ts', 'utf8')).toContain("kind: 'unavailable'");
    expect(readFileSync('functions/webhook/handler.ts', 'utf8')).toContain(
      ".addDimension('outcome', outcome.kind)",
    );
  });

  it('reaper-stopped breaches on the heartbeat the reap handler publishes for each run it completes', () => {
    const properties = alarm('ReaperStoppedAlarm') as AlarmProperties & Record<string, unknown>;
    expect(properties).toMatchObject({
      Namespace: 'Pitcrew',
      MetricName: metricNames.reapRuns,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    expect(readFileSync('functions/reap/handler.ts', 'utf8')).toContain(
      'addMetric(metricNames.reapRuns, MetricUnit.Count, 1)',
    );
  });
});
