import * as v from '../../../shared/schema/valibot';
import { readdirSync, readFileSync } from 'node:fs';
import { importHandler } from '../../support/handlers';
import { lambdaContext } from '../../../infra/local/stand-ins/lambda';

const sample = (file: string): unknown => JSON.parse(readFileSync(`events/${file}`, 'utf8'));

describe('the sample events in events/ reach their handlers', () => {
  it('webhook-generic-queued.json reaches the signature check of a configured source', async () => {
    const { handler } = await importHandler('webhook');
    const result = (await handler(sample('webhook-generic-queued.json'), lambdaContext())) as {
      statusCode: number;
    };
    // The sample carries no valid signature: refused at the signature, after routing and content type.
    expect(result.statusCode).toBe(401);
  });

  it('provision-batch.json parses as an SQS batch of one provision message', async () => {
    const { provisionMessageSchema } = await import('../../../shared/queue');
    const batch = sample('provision-batch.json') as { Records: { body: string }[] };
    expect(batch.Records.map((record) => v.parse(provisionMessageSchema, JSON.parse(record.body)))).toEqual([
      { requestId: 'github-123456789' },
    ]);
  });

  it.each(readdirSync('events').filter((file) => file.startsWith('ops-')))(
    '%s is a valid ops event',
    async (file) => {
      const { parseOpsEvent } = await import('../../../shared/ops');
      expect(parseOpsEvent(sample(file)).action).toBe(file.slice('ops-'.length, -'.json'.length));
    },
  );

  it.each(['ops-cancel.json', 'ops-drain.json', 'ops-redrive.json'])(
    '%s confirms its destructive action, which without `confirm` is refused',
    async (file) => {
      const { parseOpsEvent } = await import('../../../shared/ops');
      const { confirm: _confirm, ...unconfirmed } = sample(file) as Record<string, unknown>;
      expect(() => parseOpsEvent(unconfirmed)).toThrow(/'confirm' is required/);
    },
  );
});

describe('the sample webhook bodies parse through their adapters', () => {
  const parse = async (file: string) => {
    const event = sample(file) as {
      headers: Record<string, string>;
      body: string;
      pathParameters: { source: string };
    };
    const { parseGithubWebhook } = await import('../../../shared/sources/github');
    const { parseJenkinsWebhook } = await import('../../../shared/sources/jenkins');
    const { parseGenericWebhook } = await import('../../../shared/sources/generic');
    const parsers = {
      github: parseGithubWebhook,
      jenkins: (input: Parameters<typeof parseGithubWebhook>[0]) =>
        parseJenkinsWebhook(input, { controllerUrl: 'https://jenkins.example.com/' }),
      generic: parseGenericWebhook,
    };
    return parsers[event.pathParameters.source as keyof typeof parsers]({
      headers: event.headers,
      rawBody: Buffer.from(event.body),
    });
  };

  it.each([
    ['webhook-github-queued.json', 'github', ['self-hosted', 'linux', 'x64']],
    ['webhook-jenkins-queued.json', 'jenkins', ['linux']],
    ['webhook-generic-queued.json', 'generic', ['linux']],
  ])('%s is a queued %s build asking for %j', async (file, source, labels) => {
    expect(await parse(file)).toMatchObject({ kind: 'event', event: { source, action: 'queued', labels } });
  });
});
