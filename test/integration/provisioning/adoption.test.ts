import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ApiException, type V1Pod } from '@kubernetes/client-node';
import { loadConfigFile } from '../../../shared/config';
import { provisionRequest } from '../../../shared/provision';
import { readProvisionMessage } from '../../../shared/queue';
import { podNameFor } from '../../../shared/requests';
import type { CiSource } from '../../../shared/sources';
import { renderAgentPod } from '../../../shared/templates';
import { deliveryFor, requestIdOf, type Build } from '../../../infra/local/stand-ins/builds';
import { crashingPorts } from '../../../infra/local/stand-ins/crash-ports';
import { provisionPortsFor } from '../../support/system-ports';
import { restrictedPod } from '../../support/kube';
import { startProvisioningSystem, type ProvisioningSystem } from '../../support/provisioning';

/**
 * Pod names are derived from the request, so a retry gets 409 and adopts the pod an earlier attempt
 * made. A pod of that name Pitcrew did not make for the request (no Pitcrew labels, or another
 * request's) must never be adopted: the request fails for good with the reason, no Secret is written,
 * the agent registered at the CI is removed, and the pod is left as it was. On the real API server.
 */
const harnessTemplates: Partial<Record<CiSource, string>> = {
  github: 'gh-linux',
  jenkins: 'jk-linux',
  generic: 'gen-linux',
};
/** The harness's template of a source: its own three, `<ci>-linux` for the kits' (kitTemplates). */
const templateOf = (source: CiSource): string => harnessTemplates[source] ?? `${source}-linux`;

describe('a pod that holds a request’s name', () => {
  let system: ProvisioningSystem;
  beforeAll(async () => {
    system = await startProvisioningSystem();
  });
  afterAll(() => system.close());

  const identityOf = (build: Build) => {
    const requestId = requestIdOf(build, system.jenkins.url);
    return { requestId, podName: podNameFor(templateOf(build.source), requestId) };
  };

  async function createPod(pod: V1Pod): Promise<V1Pod> {
    return system.core.createNamespacedPod({ namespace: system.namespace, body: pod });
  }

  async function queue(build: Build): Promise<void> {
    const delivery = deliveryFor(build, 'queued');
    const answer = await system.sendWebhook(delivery.source, delivery.body, delivery.headers);
    expect(answer.statusCode).toBe(202);
  }

  async function secretExists(name: string): Promise<boolean> {
    try {
      await system.core.readNamespacedSecret({ namespace: system.namespace, name });
      return true;
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return false;
      throw error;
    }
  }

  /** Agents the fake CIs still have registered under this name. */
  const ciAgents = (name: string): number =>
    (system.jenkins.state.nodes.has(name) ? 1 : 0) +
    system.github.state.runners.filter((runner) => runner.name === name).length;

  /** The request failed for the foreign pod, with no Secret, no CI agent, and the pod as it was. */
  async function expectRefused(build: Build, foreign: V1Pod): Promise<void> {
    const { requestId, podName } = identityOf(build);
    const record = await system.requests.get(requestId);
    expect(record).toMatchObject({ status: 'failed', holdsSlot: false });
    expect(record?.reason).toContain(
      `a pod named ${podName} exists that Pitcrew did not make for this request`,
    );
    expect(await secretExists(podName)).toBe(false);
    expect(ciAgents(podName)).toBe(0);
    const now = await system.core.readNamespacedPod({ namespace: system.namespace, name: podName });
    expect(now.metadata?.uid).toBe(foreign.metadata?.uid);
    expect(now.metadata?.deletionTimestamp).toBeUndefined();
    expect(now.metadata?.labels ?? {}).toEqual(foreign.metadata?.labels ?? {});
    expect(now.spec?.containers).toEqual(foreign.spec?.containers);
  }

  describe('one Pitcrew did not make for the request', () => {
    it.each<[CiSource, string, number, (requestId: string) => Record<string, string>]>([
      ['jenkins', 'no Pitcrew labels', 101, () => ({})],
      ['github', 'no Pitcrew labels', 102, () => ({ app: 'something-else' })],
      [
        'generic',
        "another request's labels",
        103,
        () => ({
          'app.kubernetes.io/managed-by': 'pitcrew',
          'pitcrew.dev/request-id': 'generic-someoneelse00000000',
          'pitcrew.dev/template': 'gen-linux',
          'pitcrew.dev/source': 'generic',
        }),
      ],
      [
        'jenkins',
        "its request id but another template's label",
        104,
        (requestId) => ({
          'app.kubernetes.io/managed-by': 'pitcrew',
          'pitcrew.dev/request-id': requestId,
          'pitcrew.dev/template': 'other',
        }),
      ],
    ])(
      '%s build, pod with %s: the request fails with the reason, nothing is handed to the pod',
      async (source, _, id, labelsFor) => {
        const build = { source, id };
        const { requestId, podName } = identityOf(build);
        const pod = restrictedPod(podName);
        pod.metadata!.labels = labelsFor(requestId);
        const foreign = await createPod(pod);

        await queue(build);
        expect(await system.provisionAll()).toEqual({ received: 1, failed: 0 });
        await expectRefused(build, foreign);
        // Done with for good: the message is gone, and nothing comes back.
        expect(await system.pollOnce()).toEqual({ received: 0, failed: 0 });
      },
    );

    it('a retry after an attempt that died having registered the agent: the agent is removed, nothing handed over', async () => {
      const build: Build = { source: 'jenkins', id: 110 };
      const { requestId, podName } = identityOf(build);
      await queue(build);
      // The first attempt takes the message, reserves, registers the agent at Jenkins and dies.
      const { Messages = [] } = await system.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: system.resources.queueUrl,
          WaitTimeSeconds: 1,
          VisibilityTimeout: 2,
        }),
      );
      expect(Messages.map((message) => readProvisionMessage(message.Body)?.requestId)).toEqual([requestId]);
      const { ports, crashed } = crashingPorts(provisionPortsFor(system), 'after-credentials');
      void provisionRequest(requestId, ports);
      await crashed;
      expect(ciAgents(podName)).toBe(1);
      // Meanwhile a pod not made for this request takes the name.
      const foreign = await createPod(restrictedPod(podName));

      // The message comes back; the retry resumes the request and finds the pod.
      const deadline = Date.now() + 15_000;
      let received = 0;
      while (received === 0 && Date.now() < deadline) received = (await system.pollOnce(1)).received;
      expect(received).toBe(1);
      await expectRefused(build, foreign);
    });
  });

  describe('one Pitcrew made for the request in an earlier attempt', () => {
    it.each<[CiSource, number]>([
      ['jenkins', 201],
      ['generic', 202],
    ])('%s build: adopted, its Secret written for it, as before', async (source, id) => {
      const build = { source, id };
      const { requestId, podName } = identityOf(build);
      await queue(build);
      // What an earlier attempt made (created, then answered too late to be known): the pod the
      // provisioner renders for this request.
      const config = loadConfigFile(system.configFile);
      const template = config.templates.find((candidate) => candidate.name === templateOf(source))!;
      const earlier = await createPod(
        renderAgentPod({
          template,
          defaults: config.defaults,
          namespace: system.namespace,
          podName,
          requestId,
          agentEnv: {},
        }),
      );

      expect(await system.provisionAll()).toEqual({ received: 1, failed: 0 });
      expect(await system.requests.get(requestId)).toMatchObject({
        status: 'provisioned',
        holdsSlot: true,
        podName,
      });
      const pods = (await system.listPods()).filter((pod) => pod.metadata?.name === podName);
      expect(pods.map((pod) => pod.metadata?.uid)).toEqual([earlier.metadata?.uid]);
      const secret = await system.core.readNamespacedSecret({ namespace: system.namespace, name: podName });
      expect(secret.metadata?.ownerReferences?.[0]?.uid).toBe(earlier.metadata?.uid);
      if (source === 'jenkins') expect(ciAgents(podName)).toBe(1);
    });
  });
});
