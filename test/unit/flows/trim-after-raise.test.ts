import { runOpsAction } from '../../../shared/ops';
import { provisionRequest } from '../../../shared/provision';
import type { ReapPorts } from '../../../shared/reap';
import { podNameFor } from '../../../shared/requests/identity';
import { managedSelector } from '../../../shared/templates/labels';
import { createTwins, livePods, recordQueued, type Twins } from './twins';
import { reap } from '../../../shared/reap';

/**
 * docs/operations.md, `caps`: "Raising a cap wakes waiting work now; lowering one lets the reaper trim
 * pending agents ... at its next run". A run reads the caps once, at its start, and trims at its end.
 */
describe('the trim and an operator raising the cap meanwhile', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  it('trims no agent under a cap an operator raised back while the run went on', async () => {
    const ids: string[] = [];
    for (const job of ['b-1', 'b-2']) {
      const requestId = await recordQueued(twins, job, 'big', ['big']);
      expect(await provisionRequest(requestId, twins.provision)).toMatchObject({ kind: 'provisioned' });
      ids.push(requestId);
      twins.clock.advance(1);
    }
    await runOpsAction({ action: 'caps', template: 'big', cap: 1 }, twins.ops);
    // The run has read the caps; the operator raises big's back to 3 (nothing waits, nothing to wake).
    let raised = false;
    const ports: ReapPorts = {
      ...twins.reap,
      agents: {
        ...twins.reap.agents,
        async listPods(namespace, selector, pageSize) {
          const listed = await twins.reap.agents.listPods(namespace, selector, pageSize);
          if (selector === managedSelector && !raised) {
            raised = true;
            expect(await runOpsAction({ action: 'caps', template: 'big', cap: 3 }, twins.ops)).toMatchObject({
              changed: { from: 1, to: 3 },
              woken: 0,
            });
          }
          return listed;
        },
      },
    };
    const report = await reap(ports);
    expect(report.deleted['over-cap']).toBeUndefined();
    expect(await twins.state.requests.get(ids[1]!)).toMatchObject({ status: 'provisioned', holdsSlot: true });
    expect(livePods(twins)).toContain(podNameFor('big', ids[1]!));
  });
});
