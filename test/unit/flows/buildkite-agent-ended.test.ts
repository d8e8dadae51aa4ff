import { provisionRequest } from '../../../shared/provision';
import { podNameFor } from '../../../shared/requests/identity';
import { reap } from '../../../shared/reap';
import { receiveWebhook } from '../../../shared/webhook';
import type { FakeBuildkite } from '../../../infra/local/stand-ins/buildkite-api';
import { finishPod, type Twins } from './twins';
import { buildkiteDelivery, buildkiteRequestId, buildkiteTwins, jobId } from './twins-buildkite';

/**
 * A Buildkite agent is bound to its job (--acquire-job), so one that ended before Buildkite said the
 * job started (evicted, killed, unable to register) leaves the job `scheduled`: the reaper asks
 * Buildkite (`buildWaits`) and gives the build another agent, as one of its retries (docs/reaper.md,
 * the `finished` rule). Before, it took the agent's exit for the build's end: `failed`, and the job
 * waited at Buildkite for good (the lost-webhook poll finds its request known). From a review of the
 * Buildkite path, 2026-12-06.
 */
describe('a Buildkite agent that ended before its job started', () => {
  let twins: Twins;
  let buildkite: FakeBuildkite;
  afterEach(() => buildkite.close());

  async function agentEnded(jobState: string): Promise<string> {
    ({ twins, buildkite } = await buildkiteTwins({ pollPipelines: ['acme/app'], retries: 1 }));
    buildkite.state.builds.push({
      pipeline: 'app',
      number: 50,
      state: 'running',
      jobs: [{ id: jobId, type: 'script', state: jobState, agentQueryRules: ['queue=kubernetes'] }],
    });
    expect(await receiveWebhook(buildkiteDelivery(twins, 'job.scheduled'), twins.webhook)).toMatchObject({
      kind: 'accepted',
    });
    const requestId = buildkiteRequestId(jobId);
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'provisioned' });
    twins.queue.clear();
    finishPod(twins, podNameFor('bk', requestId), 'Failed', 1);
    twins.clock.advance(5_000);
    await reap(twins.reap);
    return requestId;
  }

  it('gets another agent, as one of its retries, while Buildkite still has the job scheduled', async () => {
    const requestId = await agentEnded('scheduled');
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'queued', retriesUsed: 1 });
    expect(twins.queue.sentIds()).toContain(requestId);
    expect(
      buildkite.state.requests.some((call) => call.path === '/v2/organizations/acme/pipelines/app/builds/50'),
    ).toBe(true);
  });

  it('ends failed when Buildkite says the job ran (the agent ran it and failed)', async () => {
    const requestId = await agentEnded('failed');
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'failed', retriesUsed: 0 });
    expect(twins.queue.sentIds()).not.toContain(requestId);
  });

  it('stays, pod and slot, while Buildkite cannot say, and goes again once it can', async () => {
    ({ twins, buildkite } = await buildkiteTwins({ retries: 1 }));
    buildkite.state.builds.push({
      pipeline: 'app',
      number: 50,
      state: 'scheduled',
      jobs: [{ id: jobId, type: 'script', state: 'scheduled', agentQueryRules: ['queue=kubernetes'] }],
    });
    await receiveWebhook(buildkiteDelivery(twins, 'job.scheduled'), twins.webhook);
    const requestId = buildkiteRequestId(jobId);
    await provisionRequest(requestId, twins.provision);
    twins.queue.clear();
    finishPod(twins, podNameFor('bk', requestId), 'Failed', 1);
    twins.clock.advance(5_000);
    buildkite.failNext(1, { status: 503 });
    await reap(twins.reap);
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'provisioned',
      holdsSlot: true,
    });
    twins.clock.advance(60_000);
    await reap(twins.reap);
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'queued', retriesUsed: 1 });
  });
});
