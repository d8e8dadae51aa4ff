import { crashingPorts } from '../../../infra/local/stand-ins/crash-ports';
import { provisionRequest } from '../../../shared/provision';
import type { ReapPorts } from '../../../shared/reap';
import { reap } from '../../../shared/reap';
import type { RequestRecord, RequestStatus } from '../../../shared/requests/record';
import { podNameFor } from '../../../shared/requests/identity';
import { attemptSeconds, createTwins, livePods, recordQueued, slots, type Twins } from './twins';

/**
 * A request read `provisioning` whose attempt died after making its pod (attemptUntilMs past, so not
 * `making`) is a pending holder; if its message is delivered again during the run, the resumed
 * attempt adopts the pod and records it (`provisioned`). A first version of bug 78's fix released the
 * trimmed request "only from the state read", so the trim removed that agent and deleted its pod, and
 * then found its release refused: the request kept its slot with no pod, the next run took it for
 * lost, and a template without retries failed the build (a review of the fix, 2026-12-06). Only a
 * start written meanwhile stands now (docs/reaper.md, "lowered cap": "request back to `waiting`").
 */
describe('the trim of a pending agent whose pod a resumed attempt recorded after the read', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  async function trimDuringResume(): Promise<{ newer: string; deleted: number }> {
    const older = await recordQueued(twins, 'b-1', 'big', ['big']);
    expect(await provisionRequest(older, twins.provision)).toMatchObject({ kind: 'provisioned' });
    twins.clock.advance(1);
    const newer = await recordQueued(twins, 'b-2', 'big', ['big']);
    // b-2's attempt dies right after making its pod; its time runs out.
    const { ports, crashed } = crashingPorts(twins.provision, 'after-pod');
    void provisionRequest(newer, ports);
    await crashed;
    twins.clock.advance(attemptSeconds + 1);
    // An operator lowers big's cap to 1: b-2, the newest pending agent, is the one over it.
    await twins.state.settings.update((current) => ({ ...current, templateCaps: { big: 1 } }));
    // Right after the run lists the requests (b-2 `provisioning`), SQS delivers b-2's message again.
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
    const report = await reap(resumingAfterList);
    return { newer, deleted: report.deleted['over-cap'] ?? 0 };
  }

  it('gives the trimmed agent’s request back to waiting, not holding a slot with no pod', async () => {
    const { newer } = await trimDuringResume();
    // The trim removed b-2's agent at its CI and deleted its pod...
    expect(livePods(twins)).not.toContain(podNameFor('big', newer));
    // ...so its request must not keep the slot for a pod that is gone.
    expect(await twins.state.requests.get(newer)).toMatchObject({ status: 'waiting', holdsSlot: false });
    expect(await slots(twins)).toMatchObject({ templates: { big: 1 } });
  });

  it('so the next run does not fail the build as lost (big has no retries)', async () => {
    const { newer } = await trimDuringResume();
    twins.clock.advance(twins.config.reaper.lostGraceSeconds + 1);
    await reap(twins.reap);
    expect(await twins.state.requests.get(newer)).not.toMatchObject({ status: 'failed' });
  });
});
