import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { runDev } from '../../../infra/local/dev/run-dev';
import { ciSources } from '../../../shared/sources';
import { signedHeadersFor } from '../../../shared/sources/signing';
import { devOnTestServers } from '../../support/dev-system';

const bin = resolve('bin/pitcrew.js');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real `pitcrew` command in a child process, as an operator would. */
function pitcrew(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { ...process.env, NO_COLOR: '', ...env }, timeout: 240_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

const json = (run: Run): Record<string, unknown> => JSON.parse(run.stdout) as Record<string, unknown>;

describe('the pitcrew CLI against `pitcrew dev` on the real local servers', () => {
  let dev: Awaited<ReturnType<typeof runDev>>;
  let env: Record<string, string>;
  const printed: string[] = [];

  beforeAll(async () => {
    let devFile: string;
    ({ dev, devFile } = await devOnTestServers({
      prefix: 'cli',
      reapIntervalMs: 2000,
      print: (line) => printed.push(line),
    }));
    env = { PITCREW_DEV_FILE: devFile };
  }, 120_000);
  afterAll(() => dev.stop());

  it('prints the webhook URLs, the secrets and a try-it line, and keeps a live view', async () => {
    const banner = printed.join('\n');
    expect(banner).toContain(dev.info.webhookUrls.generic);
    expect(banner).toContain(dev.info.secrets.github);
    expect(banner).toMatch(/npx pitcrew demo/);
    expect(banner).toMatch(/a local stand-in/);
    for (let attempt = 0; attempt < 50 && !printed.some((line) => line.includes('pods:')); attempt++)
      await sleep(100);
    expect(printed.some((line) => /pods: .* \| waiting: \d+ \| queue: \d+ ready/.test(line))).toBe(true);
  });

  it('status --json: exit 0 and the ops answer as JSON', async () => {
    const run = await pitcrew(['status', '--json'], env);
    expect(run.code).toBe(0);
    expect(json(run)).toMatchObject({ action: 'status', drained: false, caps: { global: { cap: 10 } } });
  });

  it('status: a readable summary and caps table, without colour when not a terminal', async () => {
    const run = await pitcrew(['status'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^provisioning: running$/m);
    expect(run.stdout).toMatch(/^TEMPLATE +CAP +CONFIGURED +USED +PODS$/m);
    expect(run.stdout).toMatch(/^generic-linux +5 +5 +\d+ +\d+$/m);
    expect(run.stdout).not.toContain('\u001b[');
  });

  it('exit 1 when the action fails (unknown request), with the error as JSON under --json', async () => {
    const run = await pitcrew(['describe', 'generic-0000', '--json'], env);
    expect(run.code).toBe(1);
    expect(json(run)).toEqual({
      error: { type: 'OpsNotFoundError', message: expect.stringMatching(/no request 'generic-0000'/) },
    });
    expect(run.stderr).toMatch(/pitcrew describe: no request/);
  });

  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['describe'], /describe takes one request id/],
    [['list', '--limit', '0'], /'limit'/],
    [['caps', 'no-such-template', '3'], /'no-such-template' is not a configured template/],
  ])('exit 2 for bad usage: %j', async (args, message) => {
    const run = await pitcrew(args, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('exit 1 with what to do when no local system runs', async () => {
    const run = await pitcrew(['status'], { PITCREW_DEV_FILE: '/nonexistent/dev.json' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no local system is running .*npx pitcrew dev/);
  });

  it('drain without --yes: exit 2, saying what it would do, and nothing is drained', async () => {
    const run = await pitcrew(['drain'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/drain stops provisioning .*nothing was done\. Run it again with --yes/);
    expect(json(await pitcrew(['status', '--json'], env)).drained).toBe(false);
  });

  it('drain stops new pods while the request waits; resume lets it through', async () => {
    expect((await pitcrew(['drain', '--yes'], env)).stdout).toMatch(/^drained: /);
    const body = JSON.stringify({ action: 'queued', job: { id: 'cli-drain-1', labels: ['linux'] } });
    const response = await fetch(dev.info.webhookUrls.generic ?? '', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-pitcrew-delivery': `cli-drain-${process.pid}`,
        ...signedHeadersFor('generic', body, dev.info.secrets.generic ?? ''),
      },
      body,
    });
    const { requestId } = (await response.json()) as { requestId: string };
    const statusOf = async (): Promise<string> =>
      String(
        (json(await pitcrew(['describe', requestId, '--json'], env)).request as { status: string }).status,
      );
    let status = await statusOf();
    for (let attempt = 0; attempt < 30 && status !== 'waiting'; attempt++) {
      await sleep(500);
      status = await statusOf();
    }
    expect(status).toBe('waiting');
    const waiting = json(await pitcrew(['list', '--status', 'waiting', '--json'], env));
    expect((waiting.items as { requestId: string }[]).map((item) => item.requestId)).toContain(requestId);

    const resumed = await pitcrew(['resume'], env);
    expect(resumed.stdout).toMatch(/^resumed: provisioning runs again; 1 waiting request/);
    for (let attempt = 0; attempt < 30 && status !== 'provisioned'; attempt++) {
      await sleep(500);
      status = await statusOf();
    }
    expect(status).toBe('provisioned');
    expect((await pitcrew(['cancel', requestId], env)).code).toBe(2);
    expect((await pitcrew(['cancel', requestId, '--yes'], env)).code).toBe(0);
  });

  it('pitcrew demo: a build of every CI gets its pod, runs, and is cleaned up', async () => {
    const run = await pitcrew(['demo'], env);
    for (const source of ciSources) expect(run.stdout).toMatch(new RegExp(`${source} +webhook -> 202`));
    expect(run.stdout).toMatch(/provisioned \(pod pc-/);
    for (const source of ciSources)
      expect(run.stdout).toMatch(new RegExp(`${source} +${source}-[0-9a-f]+ +completed \\(pod pc-`));
    expect(run.stdout).toContain(
      `all ${ciSources.length} builds ran on their own agent pod, and every pod is gone.`,
    );
    expect(run.code).toBe(0);
  }, 260_000);
});

describe('the pitcrew CLI against a deployed stage (the Lambda Invoke API played locally)', () => {
  let lambda: Server;
  let endpoint: string;
  const invoked: { path: string; body: string }[] = [];

  beforeAll(async () => {
    // https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html: POST
    // /2015-03-31/functions/{name}/invocations; a function error is a 200 with X-Amz-Function-Error.
    lambda = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        invoked.push({ path: request.url ?? '', body });
        const event = JSON.parse(body) as { action: string };
        if (event.action === 'describe') {
          response.writeHead(200, {
            'content-type': 'application/json',
            'x-amz-function-error': 'Unhandled',
          });
          response.end(JSON.stringify({ errorType: 'OpsNotFoundError', errorMessage: "no request 'x'" }));
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ action: 'drain', drained: true, wasDrained: false }));
      });
    });
    await new Promise<void>((done) => lambda.listen(0, '127.0.0.1', done));
    const address = lambda.address();
    endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise((done) => lambda.close(done)));

  const stageEnv = () => ({
    AWS_ENDPOINT_URL_LAMBDA: endpoint,
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    PITCREW_DEV_FILE: '/nonexistent/dev.json',
    PITCREW_ACTOR: 'arn:aws:iam::123456789012:user/alice',
  });

  it('invokes pitcrew-<stage>-ops with the event, confirmed and naming the operator, and prints its answer', async () => {
    const run = await pitcrew(
      ['drain', '--yes', '--stage', 'prod', '--region', 'eu-west-1', '--json'],
      stageEnv(),
    );
    expect(run.code).toBe(0);
    expect(json(run)).toEqual({ action: 'drain', drained: true, wasDrained: false });
    expect(invoked.at(-1)).toEqual({
      path: '/2015-03-31/functions/pitcrew-prod-ops/invocations',
      body: JSON.stringify({ action: 'drain', confirm: true, actor: 'arn:aws:iam::123456789012:user/alice' }),
    });
  });

  it('invokes nothing for a destructive action without --yes', async () => {
    const before = invoked.length;
    const run = await pitcrew(['redrive', '--stage', 'prod', '--region', 'eu-west-1'], stageEnv());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/redrive moves up to 100 dead-letter messages .*--yes/);
    expect(invoked).toHaveLength(before);
  });

  it('maps a function error to exit 1 with its type and message', async () => {
    const run = await pitcrew(
      ['describe', 'x', '--stage', 'prod', '--region', 'eu-west-1', '--json'],
      stageEnv(),
    );
    expect(run.code).toBe(1);
    expect(json(run)).toEqual({ error: { type: 'OpsNotFoundError', message: "no request 'x'" } });
  });
});
