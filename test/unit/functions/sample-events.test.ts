import { readFileSync } from 'node:fs';
import { lambdaContext } from '../../support/lambda';
import { importHandler } from '../../support/handlers';

const sample = (file: string): unknown => JSON.parse(readFileSync(`events/${file}`, 'utf8'));

describe('the sample events in events/ reach their handlers', () => {
  it('webhook-generic-queued.json is routed to a known source', async () => {
    const { handler } = await importHandler('webhook');
    const result = (await handler(sample('webhook-generic-queued.json'), lambdaContext())) as {
      statusCode: number;
    };
    expect(result.statusCode).not.toBe(404);
  });

  it('provision-batch.json is one record that the handler reports on', async () => {
    const { handler } = await importHandler('provision');
    expect(await handler(sample('provision-batch.json'), lambdaContext())).toEqual({
      batchItemFailures: [{ itemIdentifier: '059f36b4-87a3-44ab-83d2-661975830a7d' }],
    });
  });

  it('ops-status.json names a valid action (the placeholder fails only with not implemented)', async () => {
    const { handler } = await importHandler('ops');
    await expect(handler(sample('ops-status.json'), lambdaContext())).rejects.toThrow(
      "ops action 'status' is not implemented yet",
    );
  });
});
