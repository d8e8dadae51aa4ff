import { type FakeGithub, startFakeGithub } from '../../../infra/local/stand-ins/github-api';
import { provisionRequest, RetryLaterError } from '../../../shared/provision';
import { podNameFor, requestIdFor } from '../../../shared/requests/identity';
import type { RequestRecord } from '../../../shared/requests/record';
import { newRecord } from '../../../shared/webhook/enqueue-build';
import { createTwins, livePods, slots, type Twins } from './twins';

/**
 * A CI that asks Pitcrew to wait longer than SQS's next delivery (GitHub's hourly rate limit spent):
 * the build waits on a message of its own, held back, instead of spending its five deliveries and
 * failing into the dead-letter queue before the limit resets.
 */
const token = 'ghp_PitcrewTestToken0123456789abcdefABCD';
const yaml = (apiUrl: string) => `
cluster:
  credentials: { kind: kubeconfig, path: /tmp/k }
capacity: { globalCap: 5 }
sources:
  github:
    webhookSecret: { value: gh-secret }
    apiUrl: ${apiUrl}
    auth: { token: { value: ${token} } }
    repositories: [acme/*]
templates:
  - { name: gh, source: github, labels: [self-hosted, linux], instanceCap: 2 }
`;

describe('a build whose CI asks to wait longer than SQS would', () => {
  let github: FakeGithub;
  let twins: Twins;
  let requestId: string;
  beforeEach(async () => {
    github = await startFakeGithub({ tokens: [token] });
    twins = createTwins(yaml(github.url));
    const jobKey = 'acme/app#88';
    requestId = requestIdFor('github', jobKey);
    const record: RequestRecord = {
      ...newRecord(
        {
          source: 'github',
          jobKey,
          action: 'queued',
          deliveryId: 'd-88',
          labels: ['self-hosted', 'linux'],
          details: { source: 'github', owner: 'acme', repo: 'app' },
        } as never,
        requestId,
        twins.clock.now(),
      ),
      template: 'gh',
    };
    await twins.state.requests.createIfAbsent(record);
  });
  afterEach(() => github.close());

  /** GitHub's primary rate limit spent until `seconds` from now. */
  const limitSpentFor = (seconds: number, count = 1) =>
    github.failNext(count, {
      status: 403,
      headers: {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + seconds),
      },
      body: { message: 'API rate limit exceeded' },
    });

  it.each([
    ['a delivery', false],
    ['the last delivery', true],
  ])('waits on a message held back ten minutes at most, on %s, holding no slot', async (_what, last) => {
    limitSpentFor(3600);
    const outcome = await provisionRequest(requestId, twins.provision, last);
    expect(outcome).toMatchObject({
      kind: 'waiting',
      reason: expect.stringContaining('trying again in 600 s'),
    });
    expect(outcome).toMatchObject({ reason: expect.stringContaining('rate-limited') });
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'queued',
      holdsSlot: false,
      attempts: 0,
    });
    expect(await slots(twins)).toEqual({ global: 0, templates: { gh: 0 } });
    expect(twins.queue.sentIds()).toEqual([requestId]);
    expect(twins.queue.delays).toEqual([600]);
    expect(livePods(twins)).toEqual([]);

    // Its held-back message, once the limit reset: the agent, under its first name.
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({
      kind: 'provisioned',
      podName: podNameFor('gh', requestId),
    });
  });

  it('waits for the limit to reset when it resets within ten minutes', async () => {
    limitSpentFor(300);
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'waiting' });
    const [delay] = twins.queue.delays;
    expect(delay).toBeGreaterThan(180);
    expect(delay).toBeLessThanOrEqual(300);
  });

  it('leaves a wait SQS covers to SQS: the message comes back at its visibility timeout', async () => {
    limitSpentFor(60);
    await expect(provisionRequest(requestId, twins.provision)).rejects.toBeInstanceOf(RetryLaterError);
    expect(twins.queue.sentIds()).toEqual([]);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'queued', holdsSlot: false });
    // On the last delivery, it fails as before.
    limitSpentFor(60);
    await expect(provisionRequest(requestId, twins.provision, true)).rejects.toBeInstanceOf(RetryLaterError);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'failed' });
  });

  it('goes back to SQS when the held-back message cannot be sent', async () => {
    limitSpentFor(3600);
    twins.queue.failNextSends(1);
    await expect(provisionRequest(requestId, twins.provision)).rejects.toBeInstanceOf(RetryLaterError);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'queued', holdsSlot: false });
  });
});
