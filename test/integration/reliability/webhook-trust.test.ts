import { generateAppKeyPair } from '../../../infra/local/stand-ins/github-api';
import { signBody } from '../../../shared/sources';
import { signedHeadersFor } from '../../../shared/sources/signing';
import { backlogGateDefaults } from '../../../shared/webhook';
import { startAwsFaultProxy, type AwsFaultProxy } from '../../../infra/local/stand-ins/aws-fault-proxy';
import { deliveryFor, type Delivery } from '../../../infra/local/stand-ins/builds';
import { requiredTestEnv } from '../../support/env';
import { captureOutput } from '../../support/log-capture';
import { startProvisioningSystem, testSecrets, type ProvisioningSystem } from '../../support/provisioning';
import { webhookItemPrefixes } from '../../support/template';
import { localCiOf } from '../../../infra/local/stand-ins/local-cis';

/**
 * Who may get an agent (docs/security.md), on the real servers with the GitHub App setup that
 * docs/configuration.md recommends: every refusal is answered without one DynamoDB write or SQS
 * message, as seen on the wire through recording proxies, and a trusted build still gets its pod.
 */
const writes =
  /^(PutItem|UpdateItem|DeleteItem|TransactWriteItems|BatchWriteItem|SendMessage|SendMessageBatch)$/;
const installationId = 4242;
const app = generateAppKeyPair();

type Answer = Awaited<ReturnType<ProvisioningSystem['sendWebhookWithHeaders']>>;

/** The parts of a workflow_job delivery these tests change. */
interface GithubBody {
  repository: { name: string; owner: { login: string }; private?: boolean; visibility?: string };
  workflow_job: { created_at?: string };
  installation?: { id: number };
}

interface GithubDelivery {
  readonly body: GithubBody;
  readonly headers: Record<string, string>;
}

describe('webhook trust boundaries (GitHub App auth, timestamped signatures, backlog cap)', () => {
  let dynamo: AwsFaultProxy;
  let sqs: AwsFaultProxy;
  let system: ProvisioningSystem;
  let nextId = 700_000;
  /** The kinds of item (`request`, `delivery`) the webhook's calls named, over every test here. */
  const itemsTouched = new Set<string>();
  beforeAll(async () => {
    dynamo = await startAwsFaultProxy(requiredTestEnv('dynamoDbEndpoint'));
    sqs = await startAwsFaultProxy(requiredTestEnv('sqsEndpoint'));
    system = await startProvisioningSystem({
      dynamoDbEndpoint: dynamo.endpoint,
      sqsEndpoint: sqs.endpoint,
      githubApp: { appId: '123', publicKey: app.publicKey, installations: { acme: installationId } },
      sourceSettings: {
        github: {
          auth: { app: { appId: '123', privateKey: { value: app.privateKey }, installationId } },
          repositories: ['acme/app'],
        },
        jenkins: {
          webhookSecret: [{ value: testSecrets.jenkins }, { value: 'jenkins-next-secret' }],
          signatureToleranceSeconds: 60,
        },
        generic: { maxBacklog: 2 },
        gitlab: { maxBacklog: 1 },
      },
      emitMetrics: true,
      logLevel: 'WARN',
    });
  });
  afterAll(async () => {
    await system?.close();
    await Promise.all([dynamo?.close(), sqs?.close()]);
  });

  /** Sends a delivery and returns the answer with the DynamoDB and SQS writes it caused. */
  async function send(
    source: string,
    body: unknown,
    headers: Record<string, string>,
    sign: 'valid' | 'none' = 'valid',
  ): Promise<{ answer: Answer; written: string[]; output: string }> {
    const before = { dynamo: dynamo.calls.length, sqs: sqs.calls.length };
    const capture = captureOutput();
    let answer: Answer;
    try {
      answer = await system.sendWebhookWithHeaders(
        source,
        body,
        { 'content-type': 'application/json', ...headers },
        sign,
      );
    } finally {
      capture.stop();
    }
    const calls = [...dynamo.calls.slice(before.dynamo), ...sqs.calls.slice(before.sqs)];
    // Only requests and delivery markers, as the webhook role's IAM condition allows: on AWS any
    // other item would be refused (the caps' counters, the drain setting, the reaper's lease).
    const outside = calls.filter(
      ({ partitionKey }) =>
        partitionKey !== undefined && !webhookItemPrefixes.some((prefix) => partitionKey.startsWith(prefix)),
    );
    expect(outside).toEqual([]);
    for (const { partitionKey } of calls) if (partitionKey) itemsTouched.add(partitionKey.split('#')[0]!);
    return {
      answer,
      written: calls.map((call) => call.operation).filter((operation) => writes.test(operation)),
      output: capture.text(),
    };
  }

  /** A GitHub workflow_job from the App's installation, changed as a test needs. */
  function githubJob(change: (body: GithubBody) => void = () => undefined): GithubDelivery {
    const delivery = deliveryFor({ source: 'github', id: nextId++ }, 'queued');
    const body = structuredClone(delivery.body) as unknown as GithubBody;
    body.installation = { id: installationId };
    change(body);
    return { headers: delivery.headers, body };
  }

  const emfOf = (output: string) =>
    output
      .split('\n')
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  it('starts with App auth and answers a signed ping (the webhook never reads the App key)', async () => {
    const { answer, written } = await send(
      'github',
      { zen: 'Keep it logically awesome.' },
      {
        'x-github-event': 'ping',
        'x-github-delivery': 'ping-1',
      },
    );
    expect(answer).toMatchObject({ statusCode: 200, body: { status: 'ignored', reason: 'ping' } });
    expect(written).toEqual([]);
  });

  it('gives a trusted job its pod, with a runner registered through the App installation', async () => {
    const job = githubJob();
    const { answer } = await send('github', job.body, job.headers);
    expect(answer.statusCode).toBe(202);
    await system.provisionAll();
    const record = await system.requests.get(String(answer.body.requestId));
    expect(record?.status).toBe('provisioned');
    expect(system.github.state.runners.map((runner) => runner.name)).toContain(record?.podName);
  });

  const refusals: Array<[string, (body: GithubBody) => void, string]> = [
    [
      'a repository outside the allow-list',
      (body) => (body.repository.name = 'secret-app'),
      'repository-not-allowed',
    ],
    ['another owner', (body) => (body.repository.owner.login = 'mallory'), 'repository-not-allowed'],
    ['another App installation', (body) => (body.installation = { id: 1 }), 'installation-not-allowed'],
    ['no App installation', (body) => delete body.installation, 'installation-not-allowed'],
    [
      'a public repository',
      (body) => Object.assign(body.repository, { private: false, visibility: 'public' }),
      'public-repository',
    ],
    [
      'a repository that hides its visibility',
      (body) => {
        delete body.repository.private;
        delete body.repository.visibility;
      },
      'visibility-unknown',
    ],
    [
      'a job created 25 hours ago (a replay)',
      (body) => (body.workflow_job.created_at = new Date(Date.now() - 25 * 3_600_000).toISOString()),
      'job-too-old',
    ],
  ];

  it.each(refusals)(
    'refuses %s: 200 ignored with the reason, no write, a RefusedJobs metric and one log line',
    async (_what, change, reason) => {
      const job = githubJob(change);
      const { answer, written, output } = await send('github', job.body, job.headers);
      expect(answer.statusCode).toBe(200);
      expect(answer.body).toMatchObject({ status: 'ignored', refusal: reason, reason: expect.any(String) });
      expect(written).toEqual([]);
      expect(emfOf(output)).toContainEqual(expect.objectContaining({ RefusedJobs: 1, reason }));
      const refusedLines = output.split('\n').filter((line) => line.includes('"job refused"'));
      expect(refusedLines).toHaveLength(1);
      const repository = `${job.body.repository.owner.login}/${job.body.repository.name}`;
      expect(JSON.parse(refusedLines[0]!)).toMatchObject({ subject: repository, reason, source: 'github' });
    },
  );

  it('refuses an end event from a repository outside the allow-list without leaving a tombstone', async () => {
    const delivery = deliveryFor({ source: 'github', id: nextId++ }, 'completed');
    const body = structuredClone(delivery.body) as unknown as GithubBody;
    body.installation = { id: installationId };
    body.repository.name = 'not-allowed';
    const { answer, written } = await send('github', body, delivery.headers);
    expect(answer.body).toMatchObject({ refusal: 'repository-not-allowed' });
    expect(written).toEqual([]);
  });

  describe('timestamped signatures (Jenkins and generic)', () => {
    const generic = () => deliveryFor({ source: 'generic', id: nextId++ }, 'started');

    it('refuses a delivery signed outside the window, without the timestamp, or over the body alone', async () => {
      const delivery = generic();
      const text = JSON.stringify(delivery.body);
      const old = signedHeadersFor('generic', text, testSecrets.generic, Date.now() - 10 * 60_000);
      const { 'x-pitcrew-timestamp': _dropped, ...untimed } = signedHeadersFor(
        'generic',
        text,
        testSecrets.generic,
      );
      for (const [headers, problem] of [
        [old, /x-pitcrew-timestamp is outside the allowed window \(±300 s/],
        [untimed, /x-pitcrew-timestamp is missing/],
        [
          { ...old, 'x-pitcrew-signature-256': signBody(text, testSecrets.generic) },
          /outside the allowed window/,
        ],
        [
          {
            ...signedHeadersFor('generic', text, testSecrets.generic),
            'x-pitcrew-signature-256': signBody(text, testSecrets.generic),
          },
          /x-pitcrew-signature-256 is mismatch/,
        ],
      ] as const) {
        const { answer, written } = await send('generic', text, { ...delivery.headers, ...headers }, 'none');
        expect(answer.statusCode).toBe(401);
        expect(String(answer.body.error)).toMatch(problem);
        expect(written).toEqual([]);
      }
    });

    it('takes the configured window (60 s for Jenkins here)', async () => {
      const delivery = deliveryFor({ source: 'jenkins', id: nextId++ }, 'started');
      const text = JSON.stringify(delivery.body);
      const twoMinutesAgo = signedHeadersFor('jenkins', text, testSecrets.jenkins, Date.now() - 120_000);
      const { answer, written } = await send(
        'jenkins',
        text,
        { ...delivery.headers, ...twoMinutesAgo },
        'none',
      );
      expect(answer.statusCode).toBe(401);
      expect(String(answer.body.error)).toContain('±60 s');
      expect(written).toEqual([]);
    });

    it('verifies with any secret of a list while one is rotated, and with no other', async () => {
      for (const secret of [testSecrets.jenkins, 'jenkins-next-secret']) {
        const delivery = deliveryFor({ source: 'jenkins', id: nextId++ }, 'started');
        const text = JSON.stringify(delivery.body);
        const headers = { ...delivery.headers, ...signedHeadersFor('jenkins', text, secret) };
        expect((await send('jenkins', text, headers, 'none')).answer.statusCode).toBe(202);
      }
      // The generic secret signs nothing at Jenkins: a delivery for one source is not accepted by another.
      const delivery = deliveryFor({ source: 'jenkins', id: nextId++ }, 'started');
      const text = JSON.stringify(delivery.body);
      const crossSigned = { ...delivery.headers, ...signedHeadersFor('jenkins', text, testSecrets.generic) };
      const { answer, written } = await send('jenkins', text, crossSigned, 'none');
      expect(answer.statusCode).toBe(401);
      expect(written).toEqual([]);
    });

    it('refuses a binary-mode CloudEvent, whose attributes the signature does not cover', async () => {
      const data = { jenkinsQueueId: nextId++, why: 'Waiting for next available executor on ‘linux’' };
      const headers = {
        'ce-specversion': '1.0',
        'ce-id': 'ce-binary-1',
        'ce-type': 'org.jenkinsci.queue.entered_waiting',
        'ce-source': 'job/app',
      };
      const { answer, written } = await send('jenkins', data, headers);
      expect(answer.statusCode).toBe(400);
      expect(answer.body.field).toMatch(/^header ce-/);
      expect(written).toEqual([]);
    });
  });

  it('answers 429 with Retry-After past the backlog cap of a source, recording nothing, and leaves other sources alone', async () => {
    const ids = [nextId++, nextId++];
    const [first, second] = ids.map((id) => deliveryFor({ source: 'generic', id }, 'queued')) as [
      Delivery,
      Delivery,
    ];
    const queued = () => deliveryFor({ source: 'generic', id: nextId++ }, 'queued');
    expect((await send('generic', first.body, first.headers)).answer.statusCode).toBe(202);
    expect((await send('generic', second.body, second.headers)).answer.statusCode).toBe(202);
    const third = queued();
    const { answer, written } = await send('generic', third.body, third.headers);
    expect(answer.statusCode).toBe(429);
    expect(String(answer.body.error)).toContain('maxBacklog');
    expect(written).toEqual([]);
    expect(answer.headers['retry-after']).toBe('60');
    // A source's cap is its own: GitHub still takes builds.
    const job = githubJob();
    expect((await send('github', job.body, job.headers)).answer.statusCode).toBe(202);
    // A job no template serves is ignored as before, not answered 429.
    const foreign = deliveryFor({ source: 'generic', id: nextId++ }, 'queued', { labels: ['windows'] });
    const ignored = await send('generic', foreign.body, foreign.headers);
    expect(ignored.answer).toMatchObject({ statusCode: 200, body: { status: 'ignored' } });

    // Once the backlog drains (the two builds cancelled at the CI) and the count is read again, the
    // refused build's retry (the same delivery) is accepted: a 429 recorded nothing, so nothing stops it.
    for (const id of ids) {
      const cancelled = deliveryFor({ source: 'generic', id }, 'cancelled');
      expect((await send('generic', cancelled.body, cancelled.headers)).answer.statusCode).toBe(202);
    }
    await new Promise((wait) => setTimeout(wait, backlogGateDefaults.countMaxAgeMs + 200));
    expect((await send('generic', third.body, third.headers)).answer.statusCode).toBe(202);
  });

  it('answers GitLab, which switches a failing webhook off, 200 dropped where others get 429 or 400, writing nothing', async () => {
    const gitlab = localCiOf('gitlab');
    const first = gitlab.delivery(nextId++, 'queued');
    expect((await send('gitlab', first.body, first.headers)).answer.statusCode).toBe(202);
    // Past its backlog cap (1): dropped, not 429, and nothing recorded.
    const second = gitlab.delivery(nextId++, 'queued');
    const full = await send('gitlab', second.body, second.headers);
    expect(full.answer).toMatchObject({
      statusCode: 200,
      body: { status: 'dropped', failure: 'backlog-full' },
    });
    expect(full.written).toEqual([]);
    // A body it cannot read: dropped, not 400.
    const bad = await send('gitlab', { ...first.body, build_id: 'not-a-number' }, first.headers);
    expect(bad.answer).toMatchObject({ statusCode: 200, body: { status: 'dropped', failure: 'invalid' } });
    expect(bad.written).toEqual([]);
    // A wrong token is still 401: the operator's to see.
    const text = JSON.stringify(second.body);
    const forged = { ...second.headers, ...signedHeadersFor('gitlab', text, 'not-the-secret') };
    expect((await send('gitlab', text, forged, 'none')).answer.statusCode).toBe(401);
  });

  it("takes GitLab's delivery with a commit message over 512 KiB, its token checked first (401 without it, not 413)", async () => {
    const gitlab = localCiOf('gitlab');
    // An end event: recorded whatever the backlog (the test above filled GitLab's).
    const ended = gitlab.delivery(nextId++, 'cancelled');
    const body = { ...ended.body, commit: { id: 1, message: 'x'.repeat(600 * 1024) } };
    const taken = await send('gitlab', body, ended.headers);
    expect(taken.answer).toMatchObject({ statusCode: 202 });
    expect(taken.written.length).toBeGreaterThan(0);
    const text = JSON.stringify(body);
    const forged = { ...ended.headers, ...signedHeadersFor('gitlab', text, 'not-the-secret') };
    const refused = await send('gitlab', text, forged, 'none');
    expect(refused.answer.statusCode).toBe(401);
    expect(refused.written).toEqual([]);
  });

  it('does not take a captured body resent under the id of a delivery yet to come for that delivery', async () => {
    const captured = deliveryFor({ source: 'generic', id: nextId++ }, 'started');
    const upcoming = deliveryFor({ source: 'generic', id: nextId++ }, 'queued');
    const predictedId = upcoming.headers['x-pitcrew-delivery']!;
    const replay = await send('generic', captured.body, { 'x-pitcrew-delivery': predictedId });
    expect(replay.answer.statusCode).toBe(202);
    const real = await send('generic', upcoming.body, upcoming.headers);
    expect(real.answer).toMatchObject({ statusCode: 202, body: { status: 'accepted' } });
    // The real delivery's own retry is still a duplicate.
    const retry = await send('generic', upcoming.body, upcoming.headers);
    expect(retry.answer.body).toMatchObject({
      status: 'ignored',
      reason: expect.stringContaining('already received'),
    });
  });

  it('leaves no tombstone for the end event of a public repository job', async () => {
    const delivery = deliveryFor({ source: 'github', id: nextId++ }, 'completed');
    const body = structuredClone(delivery.body) as unknown as GithubBody;
    body.installation = { id: installationId };
    Object.assign(body.repository, { private: false, visibility: 'public' });
    const { answer, written } = await send('github', body, delivery.headers);
    expect(answer.body).toMatchObject({ refusal: 'public-repository' });
    expect(written).toEqual([]);
  });

  it('reads and writes only requests and delivery markers, as its IAM condition allows (every `send` here checks it)', async () => {
    // A build queued, then started: both kinds of item, seen by the check in `send` (not vacuous).
    itemsTouched.clear();
    for (const action of ['queued', 'started'] as const) {
      const delivery = deliveryFor({ source: 'jenkins', id: nextId }, action);
      const text = JSON.stringify(delivery.body);
      const headers = { ...delivery.headers, ...signedHeadersFor('jenkins', text, testSecrets.jenkins) };
      expect((await send('jenkins', text, headers, 'none')).answer.statusCode).toBeLessThan(300);
    }
    nextId++;
    expect([...itemsTouched].sort()).toEqual(webhookItemPrefixes.map((prefix) => prefix.slice(0, -1)).sort());
  });
});
