import type { V1Pod } from '@kubernetes/client-node';
import { requestIdFor } from '../../../shared/requests';
import { startProvisioningSystem, testSecrets, type ProvisioningSystem } from '../../support/provisioning';

const envOf = (pod: V1Pod): Record<string, string | undefined> =>
  Object.fromEntries((pod.spec?.containers[0]?.env ?? []).map((variable) => [variable.name, variable.value]));

const secretData = async (system: ProvisioningSystem, name: string): Promise<Record<string, string>> => {
  const secret = await system.core.readNamespacedSecret({ namespace: system.namespace, name });
  return Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()]),
  );
};

describe('a signed webhook becomes one agent pod (webhook -> SQS -> provision -> API server)', () => {
  let system: ProvisioningSystem;
  beforeAll(async () => {
    system = await startProvisioningSystem({
      // A Jenkins build that asks for `docker && !gpu`: both offer `docker`, only one satisfies it.
      templates: [
        { name: 'jk-docker-gpu', source: 'jenkins', labels: ['docker', 'gpu'], priority: 9, instanceCap: 5 },
        { name: 'jk-docker', source: 'jenkins', labels: ['docker'], instanceCap: 5 },
      ],
    });
  });
  afterAll(() => system.close());

  it('generic: queued event -> pod and Secret with the template, labels, safe defaults, and a record', async () => {
    const answer = await system.sendWebhook(
      'generic',
      { action: 'queued', job: { id: 'gen-1', labels: ['linux'] } },
      { 'x-pitcrew-delivery': 'd-gen-1' },
    );
    expect(answer).toEqual({
      statusCode: 202,
      body: { status: 'accepted', requestId: requestIdFor('generic', 'gen-1') },
    });
    expect(await system.provisionAll()).toEqual({ received: 1, failed: 0 });

    const record = await system.requests.get(requestIdFor('generic', 'gen-1'));
    expect(record).toMatchObject({
      status: 'provisioned',
      template: 'gen-linux',
      holdsSlot: true,
      attempts: 1,
    });
    const [pod] = await system.listPods();
    expect(pod?.metadata?.name).toBe(record?.podName);
    expect(pod?.metadata?.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'pitcrew',
      'pitcrew.dev/request-id': record?.requestId,
      'pitcrew.dev/template': 'gen-linux',
      'pitcrew.dev/source': 'generic',
    });
    expect(pod?.spec?.containers[0]?.image).toBe('busybox:1.36');
    expect(envOf(pod!)).toMatchObject({ BUILD_TOOL: 'make', PITCREW_AGENT_NAME: record?.podName });
    expect(pod?.spec?.automountServiceAccountToken).toBe(false);
    expect(pod?.spec?.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod?.spec?.containers[0]?.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod?.spec?.containers[0]?.envFrom).toEqual([{ secretRef: { name: record?.podName } }]);
    const secret = await system.core.readNamespacedSecret({
      namespace: system.namespace,
      name: record!.podName!,
    });
    expect(secret.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'Pod',
      name: record?.podName,
      uid: pod?.metadata?.uid,
    });
  });

  it('github: workflow_job queued -> runner pod with a JIT config in its Secret, never in the spec', async () => {
    const body = {
      action: 'queued',
      workflow_job: {
        id: 4242,
        run_id: 99,
        labels: ['self-hosted', 'linux'],
        html_url: 'https://github.com/acme/app/actions/runs/99/job/4242',
        created_at: new Date().toISOString(),
      },
      repository: { name: 'app', owner: { login: 'acme' }, private: true },
    };
    const answer = await system.sendWebhook('github', body, {
      'x-github-event': 'workflow_job',
      'x-github-delivery': 'gh-d-1',
    });
    expect(answer.statusCode).toBe(202);
    await system.provisionAll();

    const record = await system.requests.get(requestIdFor('github', '4242'));
    expect(record).toMatchObject({ status: 'provisioned', template: 'gh-linux' });
    const runner = system.github.state.runners.find((candidate) => candidate.name === record?.podName);
    expect(runner).toMatchObject({ owner: 'acme', repo: 'app', labels: ['self-hosted', 'linux', 'x64'] });
    expect(record?.externalId).toBe(String(runner?.id));
    const pod = (await system.listPods()).find((candidate) => candidate.metadata?.name === record?.podName);
    expect(envOf(pod!)).toMatchObject({ RUNNER_NAME: record?.podName });
    expect(JSON.stringify(pod)).not.toContain(runner?.encodedJitConfig);
    expect(await secretData(system, record!.podName!)).toEqual({
      ACTIONS_RUNNER_INPUT_JITCONFIG: runner?.encodedJitConfig,
    });
  });

  it('jenkins: queued -> inbound agent pod with JENKINS_* env and the agent secret in its Secret', async () => {
    const answer = await system.sendWebhook(
      'jenkins',
      { action: 'queued', job: { id: 17, labels: ['linux'] } },
      { 'x-pitcrew-delivery': 'jk-d-1' },
    );
    expect(answer.statusCode).toBe(202);
    await system.provisionAll();

    const record = await system.requests.get(String(answer.body.requestId));
    expect(record).toMatchObject({ status: 'provisioned', template: 'jk-linux' });
    const node = system.jenkins.state.nodes.get(record!.podName!);
    expect(node).toBeDefined();
    const pod = (await system.listPods()).find((candidate) => candidate.metadata?.name === record?.podName);
    expect(pod?.spec?.containers[0]?.image).toBe('jenkins/inbound-agent:latest');
    expect(envOf(pod!)).toMatchObject({
      JENKINS_URL: system.jenkins.url.endsWith('/') ? system.jenkins.url : `${system.jenkins.url}/`,
      JENKINS_AGENT_NAME: record?.podName,
      JENKINS_WEB_SOCKET: 'true',
    });
    expect(envOf(pod!).JENKINS_SECRET).toBeUndefined();
    expect((await secretData(system, record!.podName!)).JENKINS_SECRET).toBe(node?.secret);
    expect(JSON.stringify(pod)).not.toContain(testSecrets.jenkinsApiToken);
  });

  it('jenkins: a template serves a label expression only when its labels satisfy it, as Jenkins judges the agent', async () => {
    const answer = await system.sendWebhook(
      'jenkins',
      { action: 'queued', job: { id: 18, labels: ['docker && !gpu'] } },
      { 'x-pitcrew-delivery': 'jk-d-2' },
    );
    expect(answer.statusCode).toBe(202);
    await system.provisionAll();
    // The higher priority template offers `docker`, but its agent would carry `gpu`, which the build
    // refuses: Jenkins would never hand the build to it.
    const record = await system.requests.get(String(answer.body.requestId));
    expect(record).toMatchObject({ status: 'provisioned', template: 'jk-docker' });
    expect(system.jenkins.state.nodes.get(record!.podName!)?.labelString).toBe('docker');

    const refused = await system.sendWebhook(
      'jenkins',
      { action: 'queued', job: { id: 19, labels: ['gpu && !docker'] } },
      { 'x-pitcrew-delivery': 'jk-d-3' },
    );
    expect(refused.body).toEqual({
      status: 'ignored',
      reason: 'no jenkins template serves the label expression "gpu && !docker"',
    });
    expect(await system.requests.get(requestIdFor('jenkins', `${system.jenkins.url}#19`))).toBeUndefined();
  });
});
