import { reap } from '../../../shared/reap';
import { podNameFor } from '../../../shared/requests/identity';
import { releaseFromButEnding } from '../../../shared/requests/transitions';
import { createTwins, finishPod, genericFlowYaml, livePods, provisionedBuild, type Twins } from './twins';

/**
 * What the reaper reads of the pods no active request claims (a review of bug 102's fixes): a finished
 * pod kept for its logs costs no read at each run, and a slow table does not keep every run from
 * acting.
 */

// Template big keeps a finished pod for its logs for 30 minutes (retention), room for 60 builds.
const yaml = genericFlowYaml(
  '  - { name: big, source: generic, labels: [big], image: busybox, instanceCap: 100, retries: 0, retention: { policy: always, minutes: 30 } }\n',
  { globalCap: 100 },
);

/** `count` builds that finished and ended (slot given back), each pod kept for its logs. */
async function retainedPods(twins: Twins, count: number): Promise<string[]> {
  const pods: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const id = await provisionedBuild(twins, `big-${i}`, 'big', ['big']);
    const pod = podNameFor('big', id);
    finishPod(twins, pod, i % 2 ? 'Succeeded' : 'Failed', i % 2);
    await twins.state.capacity.release(id, 'big', 'completed', 'done', { from: releaseFromButEnding });
    pods.push(pod);
  }
  // Builds run for a while: the pods are older than the orphan grace by the time they are kept.
  twins.clock.advance(300);
  return pods;
}

describe('pods kept for their logs, whose requests ended', () => {
  it('cost the reaper no per-pod table read at each run (one GetItem per retained pod per minute, sequential)', async () => {
    const twins = createTwins(yaml);
    await retainedPods(twins, 60);
    let reads = 0;
    const requests = {
      ...twins.reap.requests,
      get: (id: string) => {
        reads += 1;
        return twins.reap.requests.get(id);
      },
    };
    for (let run = 0; run < 10; run += 1) {
      twins.clock.advance(60);
      await reap({ ...twins.reap, requests });
    }
    // 706fee3: 600 strongly consistent reads in ten minutes for 60 kept pods; before it, none.
    expect(reads).toBe(0);
  });

  it('do not stop every run before it acts when the table answers slowly (2 s a read, a DynamoDB brownout)', async () => {
    const twins = createTwins(yaml);
    const pods = await retainedPods(twins, 60);
    const requests = {
      ...twins.reap.requests,
      get: async (id: string) => {
        twins.clock.advance(2);
        return twins.reap.requests.get(id);
      },
    };
    let stopped = 0;
    // Forty minutes of runs: the retention (30 min) ends, and the kept pods should go.
    for (let run = 0; run < 40; run += 1) {
      twins.clock.advance(60);
      const report = await reap({ ...twins.reap, requests });
      if (report.stopped) stopped += 1;
    }
    // Before 706fee3 at most a run stops (the deletes themselves); with it, every one of the forty.
    expect(stopped).toBeLessThan(5);
    expect(livePods(twins).filter((pod) => pods.includes(pod))).toEqual([]);
  });
});
