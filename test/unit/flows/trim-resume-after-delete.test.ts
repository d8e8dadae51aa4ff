import { crashingPorts } from '../../../infra/local/stand-ins/crash-ports';
import { provisionRequest } from '../../../shared/provision';
import type { ReapPorts } from '../../../shared/reap';
import { reap } from '../../../shared/reap';
import { podNameFor } from '../../../shared/requests/identity';
import { attemptSeconds, createTwins, livePods, recordQueued, slots, type Twins } from './twins';

/**
 * As trim-stale-provisioning, but b-2's message is delivered again after the trim deleted the
 * listed pod (by its uid) and before its release: the resumed attempt finds no pod, makes one again
 * under the same name, and records it (`provisioned`, same podName). The widened release (from any
 * requeue state but `started`) then gives the slot back from `provisioned`, and, the pod having been
 * listed, deletes nothing after it: the new pod runs with its request `waiting` and no slot.
 * (With the earlier "only from the state read" the release missed here and the request kept its
 * slot and its live pod.)
 */
describe('the trim of a pending agent whose attempt resumes between the pod delete and the release', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  it('leaves no live pod without a slot', async () => {
    const older = await recordQueued(twins, 'b-1', 'big', ['big']);
    expect(await provisionRequest(older, twins.provision)).toMatchObject({ kind: 'provisioned' });
    twins.clock.advance(1);
    const newer = await recordQueued(twins, 'b-2', 'big', ['big']);
    const { ports, crashed } = crashingPorts(twins.provision, 'after-pod');
    void provisionRequest(newer, ports);
    await crashed;
    twins.clock.advance(attemptSeconds + 1);
    await twins.state.settings.update((current) => ({ ...current, templateCaps: { big: 1 } }));
    const podName = podNameFor('big', newer);
    let resumed: unknown;
    const resumingAfterDelete: ReapPorts = {
      ...twins.reap,
      agents: {
        ...twins.reap.agents,
        deletePod: async (namespace: string, name: string, uid?: string) => {
          const deleted = await twins.reap.agents.deletePod(namespace, name, uid);
          if (name === podName && resumed === undefined)
            resumed = await provisionRequest(newer, twins.provision);
          return deleted;
        },
      },
    };
    const report = await reap(resumingAfterDelete);
    expect(report.deleted['over-cap']).toBe(1);
    expect(await twins.state.requests.get(newer)).toMatchObject({ status: 'waiting', holdsSlot: false });
    // The pod the resumed attempt made under its name went too: none runs without a slot.
    expect(livePods(twins)).not.toContain(podName);
    expect((await slots(twins)).global).toBe(livePods(twins).length);
  });
});
