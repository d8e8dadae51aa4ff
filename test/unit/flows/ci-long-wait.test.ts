import { type FakeGithub, startFakeGithub } from '../../../infra/local/stand-ins/github-api';
import { provisionRequest, RetryLaterError, type ProvisionPorts } from '../../../shared/provision';
import { reap } from '../../../shared/reap';
import { CiUnavailableError } from '../../../shared/sources/errors';
import { podNameFor } from '../../../shared/requests/identity';
import {
  createTwins,
  githubFlowYaml,
  githubToken,
  flowConfigYaml,
  livePods,
  queuedBuild,
  recordGithubBuild,
  slots,
  withCiAdapter,
  type Twins,
} from './twins';

/**
 * A CI that asks Pitcrew to wait longer than SQS's next delivery (GitHub's hourly rate limit spent):
 * the build waits on a message of its own, held back, instead of spending its five deliveries and
 * failing into the dead-letter queue before the limit resets.
 */

describe('a build whose CI asks to wait longer than SQS would', () => {
  let github: FakeGithub;
  let twins: Twins;
  let requestId: string;
  beforeEach(async () => {
    github = await startFakeGithub({ tokens: [githubToken] });
    twins = createTwins(githubFlowYaml(github.url));
    requestId = await recordGithubBuild(twins, 'acme/app#88', 'gh');
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
      kind: 'deferred',
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
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'deferred' });
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

/** A generic CI whose every agent request is refused for an hour; counts the calls. */
const rateLimited = (twins: Twins): { ports: ProvisionPorts; calls: () => number } => {
  let calls = 0;
  const ports = withCiAdapter(twins, () => ({
    async createAgentCredentials() {
      calls += 1;
      throw new CiUnavailableError('rate limit spent', 3600);
    },
  }));
  return { ports, calls: () => calls };
};

/**
 * An hour of a build waiting on its CI: a reaper run each minute, every message delivered once its
 * delay is out. Found by a review of bug 59: with `staleQueuedSeconds` under the ten minutes a
 * message was held back, each stale run sent another message, and each began a chain of its own.
 */
async function hourOfWaiting(staleQueuedSeconds: number): Promise<{ pending: number; ciCalls: number }> {
  const twins = createTwins(
    flowConfigYaml.replace('staleQueuedSeconds: 900', `staleQueuedSeconds: ${staleQueuedSeconds}`),
  );
  const requestId = await queuedBuild(twins, `chains-${staleQueuedSeconds}`);
  const ci = rateLimited(twins);
  let pending: number[] = [twins.clock.ms()];
  let seen = 0;
  const collect = () => {
    for (; seen < twins.queue.sent.length; seen++)
      pending.push(twins.clock.ms() + (twins.queue.delays[seen] ?? 0) * 1000);
  };
  for (let minute = 0; minute < 60; minute++) {
    const due = pending.filter((at) => at <= twins.clock.ms());
    pending = pending.filter((at) => at > twins.clock.ms());
    for (const _ of due) {
      await provisionRequest(requestId, ci.ports).catch(() => undefined);
      collect();
    }
    await reap(twins.reap);
    collect();
    twins.clock.advance(60);
  }
  return { pending: pending.length, ciCalls: ci.calls() };
}

// Found by a third review: under a staleQueuedSeconds of 240 or less the message was held back by
// no more than SQS would wait (by 1 s at 60), and each held-back message starts its deliveries afresh,
// so the CI was asked every second for a day.
describe('a CI wait, when staleQueuedSeconds leaves no more than SQS would wait', () => {
  it.each([0, 60, 240])('is left to SQS (staleQueuedSeconds %i)', async (staleQueuedSeconds) => {
    const twins = createTwins(
      flowConfigYaml.replace('staleQueuedSeconds: 900', `staleQueuedSeconds: ${staleQueuedSeconds}`),
    );
    const requestId = await queuedBuild(twins, `small-stale-${staleQueuedSeconds}`);
    const ci = rateLimited(twins);
    await expect(provisionRequest(requestId, ci.ports)).rejects.toBeInstanceOf(RetryLaterError);
    expect(twins.queue.sent).toEqual([]);
    // And on the last delivery the build fails as before, with its message in the dead-letter queue.
    await expect(provisionRequest(requestId, ci.ports, true)).rejects.toBeInstanceOf(RetryLaterError);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'failed' });
  });
});

describe("a build waiting out its CI's long wait, an hour of it", () => {
  it.each([900, 300])(
    'keeps one message at a staleQueuedSeconds of %i s, and asks the CI a few times an hour',
    async (staleQueuedSeconds) => {
      const { pending, ciCalls } = await hourOfWaiting(staleQueuedSeconds);
      expect(pending).toBe(1);
      expect(ciCalls).toBeLessThanOrEqual(
        Math.ceil(3600 / (Math.min(600, staleQueuedSeconds - 60) - 60)) + 1,
      );
    },
  );
});
