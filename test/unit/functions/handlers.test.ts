import { signBody } from '../../../shared/sources';
import { signedHeadersFor } from '../../../shared/sources/signing';
import { importHandler } from '../../support/handlers';
import { httpEvent, lambdaContext, sqsEvent } from '../../../infra/local/stand-ins/lambda';
import { queueLimits } from '../../../shared/queue';
import { captureOutput } from '../../support/log-capture';
import { functionEnv } from '../../support/function-env';

const functionNames = ['webhook', 'provision', 'reap', 'ops'] as const;

describe.each(functionNames)('%s handler module', (fn) => {
  it('exports the middy-wrapped handler (docs/contributing.md, convention 1)', async () => {
    const { handler } = await importHandler(fn, functionEnv);
    expect(typeof handler.use).toBe('function');
  });

  it('stops at cold start with a ConfigError naming a missing setting', async () => {
    const { PITCREW_TABLE_NAME: _missing, ...env } = functionEnv;
    const failure = await importHandler(fn, env).then(
      () => undefined,
      (error: unknown) => error,
    );
    // The handler was loaded in a fresh module registry: compare with that registry's class.
    const { ConfigError } = await import('../../../shared/config');
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toMatch(/PITCREW_TABLE_NAME/);
  });
});

describe('webhook and provision cold starts read the config file', () => {
  it.each(['webhook', 'provision'])('%s names a config key that is wrong', async (fn) => {
    const failure = await importHandler(fn, {
      ...functionEnv,
      PITCREW_CONFIG_FILE: 'test/fixtures/config/does-not-exist.yaml',
    }).catch((error: unknown) => error);
    expect(String(failure)).toMatch(
      /PITCREW_CONFIG_FILE: cannot read 'test\/fixtures\/config\/does-not-exist.yaml'/,
    );
  });
});

describe('webhook refusals need no server (nothing is written for them)', () => {
  it('404 for an unknown source, 401 for a bad signature, 415 for a non-JSON body', async () => {
    const { handler } = await importHandler('webhook', functionEnv);
    const call = async (source: string, headers: Record<string, string>, body = '{}') =>
      (await handler(httpEvent({ source, body, headers }), lambdaContext())) as {
        statusCode: number;
        body: string;
      };
    const unknown = await call('gitlab', {});
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toContain('gitlab');
    expect((await call('github', {})).statusCode).toBe(404); // not configured in minimal.yaml
    expect((await call('generic', signedHeadersFor('generic', '{}', 'wrong'))).statusCode).toBe(401);
    expect(
      (
        await call('generic', {
          'content-type': 'text/plain',
          ...signedHeadersFor('generic', '{}', 'unit-test-secret'),
        })
      ).statusCode,
    ).toBe(415);
  });

  it('401 naming x-pitcrew-timestamp for a delivery signed without it, or 10 minutes ago', async () => {
    const { handler } = await importHandler('webhook', functionEnv);
    const call = async (headers: Record<string, string>) =>
      (await handler(httpEvent({ source: 'generic', body: '{}', headers }), lambdaContext())) as {
        statusCode: number;
        body: string;
      };
    // The right secret over the body alone (the scheme before timestamps), and over a stale timestamp.
    const untimed = await call({ 'x-pitcrew-signature-256': signBody('{}', 'unit-test-secret') });
    const stale = await call(signedHeadersFor('generic', '{}', 'unit-test-secret', Date.now() - 600_000));
    for (const answer of [untimed, stale]) {
      expect(answer.statusCode).toBe(401);
      expect(answer.body).toContain('x-pitcrew-timestamp');
    }
    expect(untimed.body).toContain('missing');
    expect(stale.body).toContain('outside the allowed window');
  });
});

describe('the ops handler refuses a bad event before touching any server', () => {
  it('names the bad field for an unknown action, and for a missing argument', async () => {
    const { handler } = await importHandler('ops');
    await expect(handler({ action: 'explode' }, lambdaContext())).rejects.toThrow(
      /'action' 'explode' is not an action: use one of status, list/,
    );
    await expect(handler({ action: 'describe' }, lambdaContext())).rejects.toThrow(/'requestId'/);
  });
});

describe('provision counts every delivery that throws', () => {
  it('a DynamoDB error on the last delivery, not a RetryLaterError, counts as ProvisionFailed', async () => {
    const { handler } = await importHandler('provision', {
      ...functionEnv,
      // Nothing listens there: the request's read fails (StateUnavailableError).
      PITCREW_DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
      POWERTOOLS_METRICS_DISABLED: 'false',
    });
    const event = sqsEvent([JSON.stringify({ requestId: 'generic-lost-read' })]);
    const last = {
      Records: event.Records.map((record) => ({
        ...record,
        attributes: {
          ...record.attributes,
          ApproximateReceiveCount: String(queueLimits.queueMaxReceiveCount),
        },
      })),
    };
    const output = captureOutput();
    let answer: unknown;
    try {
      answer = await handler(last as never, lambdaContext('provision'));
    } finally {
      output.stop();
    }
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-0' }] });
    const emf = output
      .text()
      .split('\n')
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(emf).toContainEqual(expect.objectContaining({ ProvisionFailed: 1 }));
  });
});
