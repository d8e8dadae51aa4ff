import { importHandler } from '../../support/handlers';
import { functionEnv, httpEvent, lambdaContext, sqsEvent } from '../../support/lambda';

const functionNames = ['webhook', 'provision', 'reap', 'ops'] as const;

describe.each(functionNames)('%s handler module', (fn) => {
  it('exports the middy-wrapped handler (STYLE habit 1)', async () => {
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

describe('placeholders answer honestly', () => {
  it('webhook: 404 for an unknown source, 501 (not a success) for a known one', async () => {
    const { handler } = await importHandler('webhook', functionEnv);
    const unknown = (await handler(httpEvent({ source: 'gitlab' }), lambdaContext())) as {
      statusCode: number;
      body: string;
    };
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toContain('gitlab');
    const known = (await handler(httpEvent({ source: 'github' }), lambdaContext())) as { statusCode: number };
    expect(known.statusCode).toBe(501);
  });

  it('provision: reports every record as failed so SQS keeps it', async () => {
    const { handler } = await importHandler('provision', functionEnv);
    const result = await handler(sqsEvent(['{"requestId":"r1"}', 'not json']), lambdaContext());
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-0' }, { itemIdentifier: 'm-1' }] });
  });

  it('reap: fails rather than pretending to have reaped', async () => {
    const { handler } = await importHandler('reap', functionEnv);
    await expect(handler({}, lambdaContext())).rejects.toThrow(/not implemented/);
  });

  it('ops: names the bad field for an unknown action, and fails for a known one', async () => {
    const { handler } = await importHandler('ops', functionEnv);
    await expect(handler({ action: 'explode' }, lambdaContext())).rejects.toThrow(/field 'action'/);
    await expect(handler({ action: 'status' }, lambdaContext())).rejects.toThrow(/not implemented/);
  });
});
