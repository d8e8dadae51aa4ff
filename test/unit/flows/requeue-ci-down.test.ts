import { provisionRequest } from '../../../shared/provision';
import type { ReapPorts } from '../../../shared/reap';
import { reap } from '../../../shared/reap';
import { podNameFor } from '../../../shared/requests/identity';
import { CiUnavailableError } from '../../../shared/sources/errors';
import type { AgentRequest } from '../../../shared/sources/types';
import { createTwins, livePods, recordJenkinsBuild, withAdapterCalls, type Twins } from '../flows/twins';

/**
 * Bug 85: a Jenkins agent of a `provisioned` build that ran another build is deleted once idle, and
 * the build goes again without using a retry (decide.ts: `delete-if-idle`, reason `ended`, outcome
 * `requeue`). When Jenkins could not remove the node at that moment, the reaper deleted the pod and
 * left the request as it was (only `completed` and `failed` are marked `ending`, bug 77), so the next
 * run found no pod and its `lost` rule decided anew: a retry used, or `failed` for a template with
 * none, though Jenkins still waited to run the build. Now the request goes again as decided, and a
 * message naming the node removes it once Jenkins answers.
 */
const yaml = (retries: number) => `
cluster:
  credentials: { kind: kubeconfig, path: /tmp/k }
capacity: { globalCap: 5 }
sources:
  jenkins:
    webhookSecret: { value: jenkins-review-secret }
    url: https://jenkins.invalid
    user: pitcrew
    apiToken: { value: jenkins-api-token }
templates:
  - { name: jk, source: jenkins, labels: [linux], instanceCap: 2, retries: ${retries}, idleMinutes: 10 }
reaper:
  orphanGraceSeconds: 120
  lostGraceSeconds: 60
  staleQueuedSeconds: 900
`;

/** A Jenkins CI that makes nodes, says each is idle and retired, and cannot remove one while `down`. */
function jenkinsTwin(twins: Twins) {
  const state = { down: false, removed: [] as string[] };
  const calls = () => ({
    async createAgentCredentials() {
      return { secretEnv: { JENKINS_SECRET: 'node-secret' }, env: {} };
    },
    async isAgentBusy() {
      return false;
    },
    async retireBusyAgents() {
      return [];
    },
    async deregisterAgent(agent: AgentRequest) {
      if (state.down) throw new CiUnavailableError('Jenkins is down');
      state.removed.push(agent.agentName);
    },
  });
  return {
    state,
    provision: withAdapterCalls(twins.provision, calls, 'jenkins'),
    reap: withAdapterCalls(twins.reap, calls, 'jenkins'),
  };
}

async function provisionedJenkinsBuild(twins: Twins, ci: ReturnType<typeof jenkinsTwin>): Promise<string> {
  const requestId = await recordJenkinsBuild(twins, {
    controllerUrl: 'https://jenkins.invalid',
    label: 'linux',
    template: 'jk',
  });
  expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'provisioned' });
  twins.agents.setStatus(twins.namespace, podNameFor('jk', requestId), { phase: 'Running' });
  return requestId;
}

describe('a Jenkins build whose node ran another build, with Jenkins down when the reaper deletes the node', () => {
  /** Provisioned, its node idle and retired 2 minutes on (it ran another build); one run with Jenkins `down`, then one with it back. */
  async function twoRuns(retries: number, down: boolean) {
    const twins = createTwins(yaml(retries));
    const ci = jenkinsTwin(twins);
    const requestId = await provisionedJenkinsBuild(twins, ci);
    twins.clock.advance(120);
    ci.state.down = down;
    const first = await reap(ci.reap);
    expect(first.deleted).toMatchObject({ ended: 1 });
    expect(livePods(twins)).toEqual([]);
    ci.state.down = false;
    twins.clock.advance(61);
    const second = await reap(ci.reap);
    return { twins, ci, requestId, first, second };
  }

  it('control: with Jenkins up, the build is queued again without using a retry', async () => {
    const { twins, requestId } = await twoRuns(0, false);
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'queued',
      holdsSlot: false,
      retriesUsed: 0,
    });
  });

  it('is queued again, not failed, when its template has no retries (the requeue decided is kept)', async () => {
    const { twins, requestId, second } = await twoRuns(0, true);
    // Today: the next run takes its pod for lost and fails a build Jenkins still waits to run.
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'queued',
      holdsSlot: false,
      retriesUsed: 0,
    });
    expect(second.lost).toBe(0);
  });

  it('is queued again without using one of its retries, and its node is removed once Jenkins answers', async () => {
    const { twins, ci, requestId } = await twoRuns(1, true);
    expect(await twins.state.requests.get(requestId)).toMatchObject({
      status: 'queued',
      holdsSlot: false,
      retriesUsed: 0,
    });
    const node = podNameFor('jk', requestId);
    expect(twins.queue.whole).toContainEqual({ requestId, agent: node });
    expect(ci.state.removed).toEqual([]);
    expect(await provisionRequest(requestId, ci.provision, false, { agent: node })).toMatchObject({
      kind: 'skipped',
    });
    expect(ci.state.removed).toEqual([node]);
    // The build's own message: a node of a new name.
    expect(await provisionRequest(requestId, ci.provision)).toMatchObject({ kind: 'provisioned' });
    expect(livePods(twins)).toEqual([podNameFor('jk', requestId, 2)]);
  });

  /**
   * A provisioned build whose node ran another build, one reaper run with Jenkins down and the
   * reaper's sends made by `sendOf`, then Jenkins back, every message naming a node handled and one
   * more run: the nodes Jenkins removed, and the node's name.
   */
  async function reapedWhileDown(sendOf: (ci: ReturnType<typeof jenkinsTwin>) => ReapPorts['queue']['send']) {
    const twins = createTwins(yaml(1));
    const ci = jenkinsTwin(twins);
    const requestId = await provisionedJenkinsBuild(twins, ci);
    twins.clock.advance(120);
    ci.state.down = true;
    const reaped = await reap({ ...ci.reap, queue: { ...ci.reap.queue, send: sendOf(ci) } });
    expect(reaped.deleted).toMatchObject({ ended: 1 });
    ci.state.down = false;
    for (const message of twins.queue.whole.filter((queued) => queued.agent))
      await provisionRequest(message.requestId, ci.provision, false, { agent: message.agent });
    twins.clock.advance(61);
    await reap(ci.reap);
    return { removed: ci.state.removed, node: podNameFor('jk', requestId) };
  }

  it('removes the node also when provision takes the message naming it at once, before the run writes anything more', async () => {
    // SQS hands a message to a waiting poller at once. Sent before the request went again, the
    // message found the request still holding its slot under the node's name, took the node for
    // the request's own and was deleted: nothing named the node again (the review of bug 85).
    const { removed, node } = await reapedWhileDown((ci) => async (message, options) => {
      if (message.agent)
        try {
          await provisionRequest(message.requestId, ci.provision, false, { agent: message.agent });
          return; // answered: SQS deletes it
        } catch {
          // failed: SQS delivers it again
        }
      await ci.reap.queue.send(message, options);
    });
    expect(removed).toEqual([node]);
  });

  it("removes the node also when SQS refuses the build's own message once", async () => {
    // The settle moved the request on, so nothing named the node but the message sent after it,
    // which a thrown send skipped (the review of the fix of the fix).
    const { removed, node } = await reapedWhileDown((ci) => {
      let refuseOnce = true;
      return async (message, options) => {
        if (refuseOnce && !message.agent) {
          refuseOnce = false;
          throw new Error('SQS: ThrottlingException');
        }
        await ci.reap.queue.send(message, options);
      };
    });
    expect(removed).toEqual([node]);
  });
});
