/**
 * A GitHub JIT runner or a GitLab runner made for one job may take another job of its repository or
 * project (a swap, docs/gitlab.md). When build-z's job goes to build-x's runner, build-z is `started`
 * holding its slot while its own pod has run nothing, and build-x's job still waits at the CI for a
 * runner: build-z's pod is the one it would get. If that pod is then stuck or lost, the reaper
 * retries build-z, started or not, and the agent it makes is the one build-x's job takes. Bug 49's
 * fix left a started build without a new agent, so build-x's job waited for a runner that never
 * came, and build-x's pod, once it exited, ended build-x `completed`: a lost build, found by a review
 * of that fix, which was then reverted. The generic CI stands in for GitHub and GitLab here:
 * Pitcrew's side of a swap is the same.
 */
import { provisionRequest } from '../../../shared/provision';
import { reap } from '../../../shared/reap';
import { podNameFor } from '../../../shared/requests/identity';
import { receiveWebhook } from '../../../shared/webhook';
import { createTwins, flowConfigYaml, genericDelivery, livePods, queuedBuild, type Twins } from './twins';

/** The twins' config with two slots for `gen`: both builds' agents at once. */
const yaml = flowConfigYaml.replace('instanceCap: 1, retries: 1', 'instanceCap: 2, retries: 1');
if (yaml === flowConfigYaml)
  throw new Error('the twins config no longer gives gen one slot: update this test');

describe('a swap whose started side lost its pod (bug 49, reverted)', () => {
  let twins: Twins;
  let z: string;
  let x: string;
  beforeEach(async () => {
    twins = createTwins(yaml);
    z = await queuedBuild(twins, 'build-z');
    x = await queuedBuild(twins, 'build-x');
    await provisionRequest(z, twins.provision);
    await provisionRequest(x, twins.provision);
    twins.queue.clear();
    expect(await twins.state.requests.get(z)).toMatchObject({ status: 'provisioned', holdsSlot: true });
    expect(await twins.state.requests.get(x)).toMatchObject({ status: 'provisioned', holdsSlot: true });
    // build-x's runner comes up first and the CI hands it build-z's job (the older one): a swap.
    twins.agents.setStatus(twins.namespace, podNameFor('gen', x), { phase: 'Running' });
    expect(await receiveWebhook(genericDelivery(twins, 'started', 'build-z'), twins.webhook)).toMatchObject({
      status: 'started',
    });
  });

  /** The reaper, then every message it sent, as the provision function would take them. */
  const reapAndProvision = async (): Promise<void> => {
    await reap(twins.reap);
    for (const id of twins.queue.sentIds())
      await provisionRequest(id, twins.provision).catch(() => undefined);
    twins.queue.clear();
  };

  /**
   * The CI as it acts: build-x's job goes to any other agent that came up (it started there). Then
   * build-z's job ends on build-x's runner, which exits (one job per runner), and the reaper runs.
   * True when build-x's job started anywhere.
   */
  const theCiRunsOn = async (): Promise<boolean> => {
    const other = livePods(twins).filter((name) => name !== podNameFor('gen', x));
    for (const name of other) twins.agents.setStatus(twins.namespace, name, { phase: 'Running' });
    if (other.length > 0)
      expect(await receiveWebhook(genericDelivery(twins, 'started', 'build-x'), twins.webhook)).toMatchObject(
        {
          kind: 'recorded',
        },
      );
    await swappedJobEnds();
    return other.length > 0;
  };

  const swappedJobEnds = async (): Promise<void> => {
    expect(await receiveWebhook(genericDelivery(twins, 'completed', 'build-z'), twins.webhook)).toMatchObject(
      { kind: 'recorded' },
    );
    for (const id of twins.queue.sentIds())
      await provisionRequest(id, twins.provision).catch(() => undefined);
    twins.queue.clear();
    twins.agents.setStatus(twins.namespace, podNameFor('gen', x), { phase: 'Succeeded' });
    await reapAndProvision();
  };

  it('still gives build-x an agent when build-z’s own pod is stuck (unschedulable)', async () => {
    // build-z's pod never schedules: past pendingTimeoutSeconds it is stuck.
    twins.agents.setStatus(twins.namespace, podNameFor('gen', z), {
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/3 nodes are available',
        },
      ],
    });
    twins.clock.advance(301);
    await reapAndProvision();
    // build-x's job still waits at the CI: it must start somewhere, or its request stay active.
    const xStarted = await theCiRunsOn();
    const status = (await twins.state.requests.get(x))?.status;
    expect({ xStarted, status }).not.toEqual({ xStarted: false, status: 'completed' });
  });

  it('still gives build-x an agent when build-z’s own pod vanished (evicted, its node gone)', async () => {
    await twins.agents.deletePod(twins.namespace, podNameFor('gen', z));
    twins.clock.advance(120);
    await reapAndProvision();
    const xStarted = await theCiRunsOn();
    const status = (await twins.state.requests.get(x))?.status;
    expect({ xStarted, status }).not.toEqual({ xStarted: false, status: 'completed' });
  });
});
