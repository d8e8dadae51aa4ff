import { reap } from '../../../shared/reap';
import { podNameFor } from '../../../shared/requests/identity';
import { releaseFromButEnding } from '../../../shared/requests/transitions';
import {
  createTwins,
  finishPod,
  flowBig,
  genericFlowYaml,
  leakedSlotServed,
  livePods,
  provisionedBuild,
  slots,
} from './twins';

/**
 * A finished pod kept for its logs whose ended request this release cannot read (a review of bug 102's
 * fixes): it holds back no other template's repair, and goes once its retention is over.
 */

// The flows' config, template big keeping a finished pod for its logs for ten minutes.
const yaml = genericFlowYaml(
  '  - { name: gen, source: generic, labels: [linux], image: busybox, instanceCap: 1, retries: 1 }\n' +
    `${flowBig}, retention: { policy: always, minutes: 10 } }\n`,
);

/**
 * A build that ended (holding no slot) whose record a later release wrote with a value this one does
 * not know (after a rollback, as bug 102), its finished pod kept for its logs. The listed path holds
 * back only the counters a record's stored `holdsSlot`/`template` say it may be on (bug 102's review);
 * the per-pod read added by 706fee3 holds back every counter, and skips the pod for good.
 */
describe('an ended request this release cannot read, its pod kept for its logs', () => {
  async function setUp() {
    const twins = createTwins(yaml);
    const later = await provisionedBuild(twins, 'big-1', 'big', ['big']);
    const pod = podNameFor('big', later);
    finishPod(twins, pod, 'Succeeded', 0);
    // The build ended: its slot given back, the pod kept for retention.
    expect(
      await twins.state.capacity.release(later, 'big', 'completed', 'done', { from: releaseFromButEnding }),
    ).toBe(true);
    const key = { pk: `request#${later}`, sk: 'request' };
    twins.state.table.put({ ...twins.state.table.get(key)!, endAs: 'expired' });
    return { twins, pod };
  }

  it("does not hold back the repair of another template's leaked slot", async () => {
    const { twins } = await setUp();
    expect(await leakedSlotServed(twins)).toBe(true);
  });

  it('deletes the pod once its retention is over', async () => {
    const { twins, pod } = await setUp();
    for (let run = 0; run < 15; run += 1) {
      twins.clock.advance(60);
      await reap(twins.reap);
    }
    expect(livePods(twins)).not.toContain(pod);
    expect(await slots(twins)).toMatchObject({ global: 0 });
  });
});
