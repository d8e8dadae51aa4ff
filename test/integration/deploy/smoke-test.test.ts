import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import { promisify } from 'node:util';
import { startHttpGateway, type HttpHandler } from '../../../infra/local/dev/http-gateway';
import { sendGenericWebhook } from '../../../scripts/send-webhook';
import { importHandler } from '../../support/handlers';
import { startProvisioningSystem, testSecrets, type ProvisioningSystem } from '../../support/provisioning';

const run = promisify(execFile);

// docs/deploy.md's smoke test, against the local system: the real webhook handler behind a stand-in
// for API Gateway, DynamoDB Local, ElasticMQ and the real API server.
describe('the smoke test of docs/deploy.md (scripts/send-webhook.ts)', () => {
  let system: ProvisioningSystem;
  let gateway: { server: Server; url: string };
  beforeAll(async () => {
    system = await startProvisioningSystem();
    const { handler } = await importHandler('webhook', system.env);
    gateway = await startHttpGateway(handler as unknown as HttpHandler);
    // The handler's first import in a worker transforms all its modules: a minute on a clean clone
    // under load (it ran out of the default 60 s once).
  }, 180_000);
  // Each part only if its start got that far: a beforeAll cut short must still stop the servers, or
  // jest never exits (a full run hung so once).
  afterAll(async () => {
    if (gateway) await new Promise((resolve) => gateway.server.close(resolve));
    await system?.close();
  });

  it('queues a build that becomes an agent pod, then completes it', async () => {
    const queued = await sendGenericWebhook({
      url: gateway.url,
      secret: testSecrets.generic,
      action: 'queued',
      jobId: 'smoke-1',
      labels: ['linux'],
    });
    expect(queued.status).toBe(202);
    const requestId = (queued.body as { requestId: string }).requestId;
    await system.provisionAll();
    const pods = await system.listPods();
    expect(pods.map((pod) => pod.metadata?.labels?.['pitcrew.dev/request-id'])).toContain(requestId);
    const completed = await sendGenericWebhook({
      url: gateway.url,
      secret: testSecrets.generic,
      action: 'completed',
      jobId: 'smoke-1',
      labels: [],
    });
    expect(completed).toMatchObject({ status: 202, body: { requestId } });
  });

  it('is refused with a wrong secret, and the command exits 1 saying so', async () => {
    const failure = await run(
      'npx',
      ['tsx', 'scripts/send-webhook.ts', '--url', gateway.url, '--job', 'smoke-2'],
      {
        env: { ...process.env, PITCREW_WEBHOOK_SECRET: 'not-the-secret' },
      },
    ).catch((error: { code: number; stdout: string }) => error);
    expect(failure).toMatchObject({ code: 1 });
    expect(JSON.parse((failure as { stdout: string }).stdout)).toMatchObject({ job: 'smoke-2', status: 401 });
  });

  it('exits 0 and prints the request id for an accepted build', async () => {
    const { stdout } = await run(
      'npx',
      ['tsx', 'scripts/send-webhook.ts', '--url', gateway.url, '--job', 'smoke-3', '--labels', 'linux'],
      { env: { ...process.env, PITCREW_WEBHOOK_SECRET: testSecrets.generic } },
    );
    expect(JSON.parse(stdout)).toMatchObject({ job: 'smoke-3', status: 202, body: { status: 'accepted' } });
  });
});
