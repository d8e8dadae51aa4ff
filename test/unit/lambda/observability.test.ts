import { refreshWebhookSecrets } from '../../../shared/lambda/refresh-webhook-secrets';
import { jest } from '@jest/globals';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import {
  createLogger,
  createMetrics,
  createTracing,
  metricNames,
  metricsNamespace,
  publishProvisionOutcome,
  publishProvisionRetry,
  refreshSecrets,
} from '../../../shared/lambda';
import { lambdaContext } from '../../../infra/local/stand-ins/lambda';

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [key: string]: unknown;
}

describe('provision metrics (EMF)', () => {
  it('counts a created pod and how long its build waited since the queued webhook', () => {
    const metrics = createMetrics('provision', 'prod');
    publishProvisionOutcome(
      metrics,
      { kind: 'provisioned', podName: 'pc-gen-1', adopted: false, queuedAt: '2026-11-25T12:00:00.000Z' },
      new Date('2026-11-25T12:00:42.500Z'),
    );
    const emf = metrics.serializeMetrics() as unknown as Emf;
    const [directive] = emf._aws.CloudWatchMetrics;
    expect(directive?.Namespace).toBe(metricsNamespace);
    // serverless.yml's alarms match these exact dimensions.
    expect(directive?.Dimensions).toEqual([['service', 'stage']]);
    expect(emf).toMatchObject({
      service: 'pitcrew-provision',
      stage: 'prod',
      [metricNames.provisioned]: 1,
      [metricNames.queuedToPodSeconds]: 42.5,
    });
  });

  it.each([
    [{ kind: 'failed', reason: 'refused' } as const, metricNames.provisionFailed],
    [{ kind: 'waiting', reason: 'at the global cap' } as const, metricNames.provisionWaiting],
    [
      { kind: 'deferred', reason: 'rate-limited; trying again in 600 s' } as const,
      metricNames.provisionRetried,
    ],
  ])('counts %p as %s', (outcome, name) => {
    const metrics = createMetrics('provision', 'prod');
    publishProvisionOutcome(metrics, outcome, new Date());
    expect(metrics.serializeMetrics()).toMatchObject({ [name]: 1 });
  });

  it('counts a transient failure as a retry, or as a failure on the last delivery', () => {
    const metrics = createMetrics('provision', 'prod');
    publishProvisionRetry(metrics, false);
    publishProvisionRetry(metrics, true);
    expect(metrics.serializeMetrics()).toMatchObject({
      [metricNames.provisionRetried]: 1,
      [metricNames.provisionFailed]: 1,
    });
  });
});

describe('metrics warnings', () => {
  it('log an invocation with no metrics at debug, and any other warning as a warning', () => {
    const calls: [string, string][] = [];
    const logger = {
      debug: (message: string) => void calls.push(['debug', message]),
      info: (message: string) => void calls.push(['info', message]),
      warn: (message: string) => void calls.push(['warn', message]),
      error: (message: string) => void calls.push(['error', message]),
    };
    const metrics = createMetrics('provision', 'test', logger);
    metrics.publishStoredMetrics();
    expect(calls).toEqual([['debug', expect.stringMatching(/^No application metrics to publish/)]]);
  });
});

describe('tracing', () => {
  const handlerWith = (middlewares: Parameters<ReturnType<typeof middy>['use']>[0]) =>
    middy(async (event: { n: number }) => event.n + 1).use(middlewares);

  it('is no middleware when the stage has tracing off, and the handler runs as before', async () => {
    for (const value of [undefined, 'false', '', 'no']) {
      const tracing = await createTracing('webhook', [], { POWERTOOLS_TRACE_ENABLED: value });
      expect({ value, tracing }).toEqual({ value, tracing: [] });
      await expect(handlerWith(tracing)({ n: 1 }, lambdaContext('webhook'))).resolves.toBe(2);
    }
  });

  it("is Powertools' handler capture when the stage turns it on", async () => {
    const tracing = await createTracing('webhook', [], { POWERTOOLS_TRACE_ENABLED: ' TRUE ' });
    expect(tracing).toHaveLength(1);
    expect(tracing[0]).toEqual(
      expect.objectContaining({ before: expect.any(Function), after: expect.any(Function) }),
    );
  });
});

describe('logs', () => {
  it('carry the Lambda request id, the stage, and the job key the domain adds', async () => {
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const logger = createLogger('provision', 'prod');
      const handler = middy(async () => {
        logger.info('agent pod created', { requestId: 'r-1', jobKey: 'https://ci/#42' });
      }).use(injectLambdaContext(logger));
      await handler({}, lambdaContext());
    } finally {
      write.mockRestore();
    }
    const line = JSON.parse(lines.find((text) => text.includes('agent pod created'))!) as Record<
      string,
      unknown
    >;
    expect(line).toMatchObject({
      level: 'INFO',
      service: 'pitcrew-provision',
      stage: 'prod',
      function_request_id: lambdaContext().awsRequestId,
      requestId: 'r-1',
      jobKey: 'https://ci/#42',
    });
  });
});

describe('refreshSecrets middleware', () => {
  const recorder = () => {
    const warnings: { message: string; extra: Record<string, unknown> }[] = [];
    return {
      warnings,
      logger: {
        info: () => undefined,
        error: () => undefined,
        warn: (message: string, extra: Record<string, unknown>) => void warnings.push({ message, extra }),
      },
    };
  };

  it('re-reads the secrets before each invocation', async () => {
    const calls: string[] = [];
    const runtime = { refreshSecrets: async () => void calls.push('refresh') };
    const handler = middy(async () => void calls.push('handler')).use(
      refreshSecrets(runtime, recorder().logger),
    );
    await handler({}, lambdaContext());
    await handler({}, lambdaContext());
    expect(calls).toEqual(['refresh', 'handler', 'refresh', 'handler']);
  });

  it('keeps the secrets it has when a re-read fails, and says so without a value', async () => {
    const { logger, warnings } = recorder();
    const runtime = {
      refreshSecrets: async () => {
        throw new Error('sources.github.webhookSecret: could not be read right now: Rate exceeded');
      },
    };
    const handler = middy(async () => 'handled').use(refreshSecrets(runtime, logger));
    await expect(handler({}, lambdaContext())).resolves.toBe('handled');
    expect(warnings).toEqual([
      {
        message: 'could not read the secrets again; using the ones read before',
        extra: { error: 'sources.github.webhookSecret: could not be read right now: Rate exceeded' },
      },
    ]);
  });

  it("logs the webhook's closed sources as an error and its kept secrets as a warning, by setting only", async () => {
    const errors: { message: string; extra: Record<string, unknown> }[] = [];
    const { logger, warnings } = recorder();
    const closed = [{ setting: 'sources.generic.webhookSecret', problem: 'does not exist' }];
    const kept = [{ setting: 'sources.github.webhookSecret', problem: 'Rate exceeded', until: 'then' }];
    const runtime = { refreshSecrets: async () => ({ closed, kept }) };
    const handler = middy(async () => 'handled').use(
      refreshWebhookSecrets(runtime, {
        ...logger,
        error: (message, extra) => void errors.push({ message, extra }),
      }),
    );
    await expect(handler({}, lambdaContext())).resolves.toBe('handled');
    expect(errors).toEqual([
      {
        message: 'webhook secrets gone or invalid: their sources answer 503 until fixed',
        extra: { problems: closed },
      },
    ]);
    expect(warnings).toEqual([
      { message: 'could not read the secrets again; using the ones read before', extra: { problems: kept } },
    ]);
  });
});
