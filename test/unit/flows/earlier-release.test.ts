import { provisionRequest } from '../../../shared/provision';
import { reap } from '../../../shared/reap';
import { podNameFor } from '../../../shared/requests/identity';
import { createTwins, livePods, recordQueued, slots } from './twins';

/**
 * Records an earlier release left, read by this one (the review of upgrades, 2026-12-06): a record
 * the release of 2026-12-05 (671f144) left mid-attempt. That release counted every reserve in
 * `attempts` but named every agent of a request `podNameFor(template, requestId)` (generation 1),
 * so its records can say attempts 2 with a generation-1 pod. This release resumes such an attempt
 * under the name the record holds, and the reaper keeps its pod.
 */
describe('a record the 2026-12-05 release left mid-attempt', () => {
  it('is resumed under its own pod name and kept by the reaper', async () => {
    const twins = createTwins();
    const requestId = await recordQueued(twins, 'build-1');
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'provisioned' });
    const gen1 = podNameFor('gen', requestId);
    // As 671f144 leaves it: a second reserve (after a passing failure) under the same name, its
    // attempt cut off before it recorded the pod.
    const key = { pk: `request#${requestId}`, sk: 'request' };
    twins.state.table.put({
      ...twins.state.table.get(key)!,
      status: 'provisioning',
      attempts: 2,
      podName: gen1,
      attemptUntilMs: twins.clock.now().getTime() - 1,
    });
    expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'provisioned' });
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'provisioned',
      podName: gen1,
      attempts: 2,
    });
    expect(livePods(twins)).toEqual([gen1]);
    twins.clock.advance(100);
    twins.agents.setStatus(twins.namespace, gen1, { phase: 'Running' });
    const report = await reap(twins.reap);
    expect(report.deleted).toEqual({});
    expect(livePods(twins)).toEqual([gen1]);
    expect((await slots(twins)).templates.gen).toBe(1);
  });
});
