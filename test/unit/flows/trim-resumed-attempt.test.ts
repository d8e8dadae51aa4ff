import { crashingPorts } from '../../../infra/local/stand-ins/crash-ports';
import { provisionRequest } from '../../../shared/provision';
import type { ReapPorts } from '../../../shared/reap';
import { reap } from '../../../shared/reap';
import type { RequestRecord, RequestStatus } from '../../../shared/requests/record';
import { podNameFor } from '../../../shared/requests/identity';
import { attemptSeconds, createTwins, livePods, namedCi, recordQueued, slots, type Twins } from './twins';

/**
 * The trim of a request read `provisioning` whose attempt died after making its pod (attemptUntilMs
 * past, so not `making`: a pending holder), while SQS delivers its message again and the resumed
 * attempt records a pod under its name (`provisioned`). The reviews of bug 78's fix (2026-12-06)
 * found two roads to a cap the trim left wrong: released "only from the state read", a request whose
 * resumed attempt adopted the pod the trim then deleted kept its slot with no pod (the next run took
 * it for lost, and a template without retries failed the build); and once released from either
 * state, a pod the resumed attempt made again after the trim's delete ran with no slot. Only a start
 * written meanwhile stands now, and a pod made since under the name goes too (docs/reaper.md,
 * "lowered cap": "request back to `waiting`").
 */
describe('the trim of a pending agent whose attempt resumes meanwhile', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  /** b-1 provisioned; b-2's attempt died after making its pod; big's cap lowered to 1: b-2 is over it. */
  async function deadAttemptOverCap(): Promise<string> {
    const older = await recordQueued(twins, 'b-1', 'big', ['big']);
    expect(await provisionRequest(older, twins.provision)).toMatchObject({ kind: 'provisioned' });
    twins.clock.advance(1);
    const newer = await recordQueued(twins, 'b-2', 'big', ['big']);
    const { ports, crashed } = crashingPorts(twins.provision, 'after-pod');
    void provisionRequest(newer, ports);
    await crashed;
    twins.clock.advance(attemptSeconds + 1);
    await twins.state.settings.update((current) => ({ ...current, templateCaps: { big: 1 } }));
    return newer;
  }

  /** A trim during which b-2's message comes again right after the run lists the requests. */
  async function trimWhileAdopted(): Promise<string> {
    const newer = await deadAttemptOverCap();
    const resumingAfterList: ReapPorts = {
      ...twins.reap,
      requests: {
        ...twins.reap.requests,
        listByStatus: async (status: RequestStatus, limit?: number): Promise<RequestRecord[]> => {
          const listed = await twins.state.requests.listByStatus(status, limit);
          if (status === 'ending')
            expect(await provisionRequest(newer, twins.provision)).toMatchObject({
              kind: 'provisioned',
              adopted: true,
            });
          return listed;
        },
      },
    };
    await reap(resumingAfterList);
    return newer;
  }

  it('gives back the slot of a request whose resumed attempt adopted the pod the trim deleted', async () => {
    const newer = await trimWhileAdopted();
    expect(livePods(twins)).not.toContain(podNameFor('big', newer));
    expect(await twins.state.requests.get(newer)).toMatchObject({ status: 'waiting', holdsSlot: false });
    expect(await slots(twins)).toMatchObject({ templates: { big: 1 } });
  });

  it('so the next run does not fail that build as lost (big has no retries)', async () => {
    const newer = await trimWhileAdopted();
    twins.clock.advance(twins.config.reaper.lostGraceSeconds + 1);
    await reap(twins.reap);
    expect(await twins.state.requests.get(newer)).not.toMatchObject({ status: 'failed' });
  });

  it('removes the pod a resumed attempt made again after the trim’s delete: none runs without a slot', async () => {
    const newer = await deadAttemptOverCap();
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
    expect(resumed).toMatchObject({ kind: 'provisioned', adopted: false });
    expect(report.deleted['over-cap']).toBe(1);
    expect(await twins.state.requests.get(newer)).toMatchObject({ status: 'waiting', holdsSlot: false });
    expect(livePods(twins)).not.toContain(podName);
    expect((await slots(twins)).global).toBe(livePods(twins).length);
  });

  it('sends no left agent’s message for a request whose attempt died before its pod: its agent went already', async () => {
    const ci = namedCi(twins);
    const older = await recordQueued(twins, 'b-1', 'big', ['big']);
    expect(await provisionRequest(older, ci.provision)).toMatchObject({ kind: 'provisioned' });
    twins.clock.advance(1);
    const newer = await recordQueued(twins, 'b-2', 'big', ['big']);
    const { ports, crashed } = crashingPorts(ci.provision, 'after-reserve');
    void provisionRequest(newer, ports);
    await crashed;
    twins.clock.advance(attemptSeconds + 1);
    await twins.state.settings.update((current) => ({ ...current, templateCaps: { big: 1 } }));
    twins.queue.clear();
    expect((await reap(ci.reapPorts)).deleted['over-cap']).toBe(1);
    expect(await twins.state.requests.get(newer)).toMatchObject({ status: 'waiting', holdsSlot: false });
    expect(twins.queue.whole.filter((message) => message.agent !== undefined)).toEqual([]);
    expect(ci.removals.filter((name) => name === podNameFor('big', newer))).toHaveLength(1);
  });
});
