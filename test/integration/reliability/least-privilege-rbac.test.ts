import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import {
  ApiException,
  AuthorizationV1Api,
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  type V1ResourceRule,
} from '@kubernetes/client-node';
import { clusterManifests } from '../../../infra/local/cli/k8s-manifests';
import { applyObjects } from '../../../infra/local/kube/apply';
import { createAgentClient } from '../../../shared/cluster';
import { parseConfig } from '../../../shared/config';
import { provisionRequest } from '../../../shared/provision';
import { deliveryFor, type Build } from '../../../infra/local/stand-ins/builds';
import { crashingPorts, type CrashPoint } from '../../../infra/local/stand-ins/crash-ports';
import { provisionPortsFor } from '../../support/system-ports';
import {
  adminKubeConfig,
  createTestNamespace,
  deleteNamespace,
  phaseIs,
  tokenKubeConfig,
  waitForPod,
} from '../../support/kube';
import { steerPod } from '../../../infra/local/kube/steer';
import { startProvisioningSystem, type ProvisioningSystem } from '../../support/provisioning';

/**
 * The RBAC of infra/k8s/ applied to namespaces of their own (the agents' and the provisioner's), and
 * Pitcrew run with nothing but the ServiceAccount's token: it can do all it needs (provision, adopt,
 * reap, fail a build), and the server's own account of the token's rights is exactly the Role,
 * nothing else. (test/integration/kubernetes/rbac.test.ts probes single calls in pitcrew-agents.)
 */
const admin = adminKubeConfig();
const adminCore = admin.makeApiClient(CoreV1Api);

/**
 * infra/k8s/ for these two namespaces, as `pitcrew k8s-manifests` prints it for a config naming them
 * (the Namespace objects left out: the test makes the namespaces).
 */
function manifestsFor(namespace: string, systemNamespace: string): KubernetesObject[] {
  const config = parseConfig(`
cluster:
  namespace: ${namespace}
  provisionerServiceAccount: { namespace: ${systemNamespace} }
  credentials: { kind: token, server: 'https://k8s.example.com', token: { value: t } }
sources:
  generic: { webhookSecret: { value: s } }
templates:
  - { name: gen, source: generic, labels: [linux], image: busybox }
`);
  return clusterManifests(config).filter((object) => object.kind !== 'Namespace');
}

async function statusOf(call: () => Promise<unknown>): Promise<number> {
  try {
    await call();
    return 200;
  } catch (error) {
    if (error instanceof ApiException) return error.code;
    throw error;
  }
}

const normalise = (rules: readonly V1ResourceRule[]): string[] =>
  rules
    .flatMap((rule) =>
      (rule.apiGroups ?? ['']).flatMap((group) =>
        (rule.resources ?? []).flatMap((resource) =>
          rule.verbs.map((verb) => `${group || 'core'}/${resource}:${verb}`),
        ),
      ),
    )
    .sort();

describe('least privilege: Pitcrew with only the provisioner ServiceAccount of infra/k8s/', () => {
  let namespace: string;
  let systemNamespace: string;
  let token: string;
  let provisioner: KubeConfig;
  let system: ProvisioningSystem;

  beforeAll(async () => {
    namespace = await createTestNamespace(adminCore, 'rbac', {
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
    });
    systemNamespace = await createTestNamespace(adminCore, 'rbac-system');
    await applyObjects(admin, manifestsFor(namespace, systemNamespace));
    const minted = await adminCore.createNamespacedServiceAccountToken({
      name: 'pitcrew-provisioner',
      namespace: systemNamespace,
      body: {
        spec: { audiences: ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: 3600 },
      },
    });
    token = minted.status!.token;
    provisioner = tokenKubeConfig(token);
    const cluster = admin.getCurrentCluster()!;
    system = await startProvisioningSystem({
      namespace,
      clusterCredentials: {
        kind: 'token',
        server: cluster.server,
        token: { value: token },
        caData: cluster.caData,
      },
      templates: [
        // The config allows it (privileged), the namespace's restricted policy refuses it: the build
        // fails, the slot comes back.
        {
          name: 'gen-hostpath',
          source: 'generic',
          labels: ['hostpath'],
          image: 'busybox:1.36',
          podSecurity: 'privileged',
          volumes: [{ name: 'host', hostPath: { path: '/var/run' } }],
        },
      ],
      reaper: { orphanGraceSeconds: 0, stuckGraceSeconds: 0, lostGraceSeconds: 0, staleQueuedSeconds: 900 },
    });
  });
  afterAll(async () => {
    await system?.close();
    await deleteNamespace(adminCore, systemNamespace);
  });

  it('provisions, records, reaps and deregisters agents of every source with that token alone', async () => {
    const builds: Build[] = [
      { source: 'generic', id: 1 },
      { source: 'jenkins', id: 2 },
      { source: 'github', id: 3 },
    ];
    const ids: string[] = [];
    for (const build of builds) {
      const delivery = deliveryFor(build, 'queued');
      const answer = await system.sendWebhook(delivery.source, delivery.body, delivery.headers);
      expect(answer.statusCode).toBe(202);
      ids.push(String(answer.body.requestId));
    }
    expect(await system.provisionAll()).toMatchObject({ failed: 0 });
    const records = await Promise.all(ids.map((id) => system.requests.get(id)));
    expect(records.map((record) => record?.status)).toEqual(['provisioned', 'provisioned', 'provisioned']);
    // The builds run and end; the reaper (same token) deletes the pods and deregisters the agents.
    for (const record of records) {
      await steerPod(adminCore, namespace, record!.podName!, { outcome: 'succeeded' });
      await waitForPod(adminCore, namespace, record!.podName!, phaseIs('Succeeded'));
    }
    const report = await system.reapNow();
    expect(report).toMatchObject({ errors: 0, deleted: { finished: 3 } });
    expect(system.jenkins.state.nodes.size).toBe(0);
    expect(system.github.state.runners).toHaveLength(0);
  });

  /** A GitHub build whose first attempt dies at `point`; SQS brings the message back to the real handler. */
  async function crashThenRedeliver(id: number, point: CrashPoint): Promise<string> {
    const delivery = deliveryFor({ source: 'github', id }, 'queued');
    const answer = await system.sendWebhook(delivery.source, delivery.body, delivery.headers);
    const requestId = String(answer.body.requestId);
    for (let taken = false; !taken;) {
      const { Messages = [] } = await system.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: system.resources.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: 2,
        }),
      );
      taken = Messages.some((message) => message.Body?.includes(requestId));
    }
    const withToken = {
      ...provisionPortsFor(system),
      agents: createAgentClient(provisioner.makeApiClient(CoreV1Api)),
    };
    const { ports, crashed } = crashingPorts(withToken, point);
    void provisionRequest(requestId, ports);
    await crashed;
    const deadline = Date.now() + 20_000;
    let received = 0;
    while (received === 0 && Date.now() < deadline) received += (await system.pollOnce(1)).received;
    return requestId;
  }

  it.each<[CrashPoint, number]>([
    ['after-secret', 11],
    ['after-pod', 12],
  ])(
    'finishes an agent whose first attempt died %s, knowing whether its Secret exists without reading it',
    async (point, id) => {
      const requestId = await crashThenRedeliver(id, point);
      const record = await system.requests.get(requestId);
      expect(record).toMatchObject({ status: 'provisioned', holdsSlot: true });
      const podName = record!.podName!;
      // One runner at GitHub, and the pod's Secret holds its credentials: an adopted agent was not
      // given new ones (a JIT config is single-use), a pod left without a Secret got one.
      const runners = system.github.state.runners.filter((runner) => runner.name === podName);
      expect(runners).toHaveLength(1);
      const secret = await adminCore.readNamespacedSecret({ namespace, name: podName });
      expect(Buffer.from(secret.data!.ACTIONS_RUNNER_INPUT_JITCONFIG!, 'base64').toString()).toBe(
        runners[0]!.encodedJitConfig,
      );
      const pod = await adminCore.readNamespacedPod({ namespace, name: podName });
      expect(secret.metadata?.ownerReferences?.[0]?.uid).toBe(pod.metadata?.uid);
    },
  );

  it('fails a build whose pod the namespace policy refuses, with the reason, and gives its slot back', async () => {
    const delivery = deliveryFor({ source: 'generic', id: 4 }, 'queued', { labels: ['hostpath'] });
    const answer = await system.sendWebhook(delivery.source, delivery.body, delivery.headers);
    await system.provisionAll();
    expect(await system.requests.get(String(answer.body.requestId))).toMatchObject({
      status: 'failed',
      holdsSlot: false,
      reason: expect.stringMatching(/violates PodSecurity "restricted:latest".*hostPath/),
    });
  });

  it("is, by the API server's own account, allowed exactly the Role's verbs in its namespace and nothing else", async () => {
    const review = await provisioner.makeApiClient(AuthorizationV1Api).createSelfSubjectRulesReview({
      body: { spec: { namespace } },
    });
    const role = manifestsFor(namespace, systemNamespace).find(
      (object) => object.kind === 'Role',
    ) as KubernetesObject & {
      rules: V1ResourceRule[];
    };
    // What every authenticated identity may do (system:basic-user): ask about its own rights.
    const everyone = [
      'authorization.k8s.io/selfsubjectaccessreviews:create',
      'authorization.k8s.io/selfsubjectrulesreviews:create',
      'authentication.k8s.io/selfsubjectreviews:create',
    ];
    expect(normalise(review.status!.resourceRules)).toEqual([...normalise(role.rules), ...everyone].sort());
    expect(review.status?.incomplete).toBe(false);
    // Secrets can be written and removed, never read back.
    expect(
      normalise(review.status!.resourceRules).filter((rule) => rule.startsWith('core/secrets:')),
    ).toEqual(['core/secrets:create', 'core/secrets:delete']);
    // And in its own namespace (where its token is) or any other, nothing but the same self-questions.
    for (const elsewhere of [systemNamespace, 'default']) {
      const rules = await provisioner.makeApiClient(AuthorizationV1Api).createSelfSubjectRulesReview({
        body: { spec: { namespace: elsewhere } },
      });
      expect({ elsewhere, rules: normalise(rules.status!.resourceRules) }).toEqual({
        elsewhere,
        rules: [...everyone].sort(),
      });
    }
  });

  it('is refused what an attacker holding the token would try next', async () => {
    const core = provisioner.makeApiClient(CoreV1Api);
    const [pod] = await adminCore.listNamespacedPod({ namespace }).then((pods) => pods.items);
    const name = pod?.metadata?.name ?? 'none';
    const attempts: [string, () => Promise<unknown>][] = [
      ['read a pod log', () => core.readNamespacedPodLog({ namespace, name })],
      ['list secrets (read every agent credential)', () => core.listNamespacedSecret({ namespace })],
      ["read an agent's credentials", () => core.readNamespacedSecret({ namespace, name })],
      [
        'read its own long-lived token',
        () => core.readNamespacedSecret({ namespace: systemNamespace, name: 'pitcrew-provisioner-token' }),
      ],
      ['change a secret', () => core.patchNamespacedSecret({ namespace, name, body: { data: {} } })],
      [
        'mint a token for the ServiceAccount',
        () =>
          core.createNamespacedServiceAccountToken({
            name: 'pitcrew-provisioner',
            namespace: systemNamespace,
            body: { spec: { audiences: [] } },
          }),
      ],
      ['read config maps', () => core.listNamespacedConfigMap({ namespace })],
      [
        'create a service',
        () =>
          core.createNamespacedService({
            namespace,
            body: { metadata: { name: 'x' }, spec: { ports: [{ port: 80 }] } },
          }),
      ],
      [
        'evict a pod',
        () => core.createNamespacedPodEviction({ namespace, name, body: { metadata: { name } } }),
      ],
      [
        'write an event',
        () =>
          core.createNamespacedEvent({ namespace, body: { metadata: { name: 'x' }, involvedObject: {} } }),
      ],
      ['list pods cluster-wide', () => core.listPodForAllNamespaces()],
    ];
    const statuses = await Promise.all(
      attempts.map(async ([what, call]) => [what, await statusOf(call)] as const),
    );
    expect(statuses.filter(([, status]) => status !== 403)).toEqual([]);
  });

  it('grants the provision function (its EKS group) what it calls and no list, in that namespace only', async () => {
    const access = admin.makeApiClient(AuthorizationV1Api);
    const allowed = async (verb: string, resource: string, inNamespace: string): Promise<boolean> =>
      (
        await access.createSubjectAccessReview({
          body: {
            spec: {
              user: 'arn:aws:sts::123456789012:assumed-role/pitcrew-provision/fn',
              groups: ['pitcrew:provisioners'],
              resourceAttributes: { namespace: inNamespace, verb, resource },
            },
          },
        })
      ).status?.allowed ?? false;
    const rights = async (pairs: [string, string][]) =>
      Promise.all(
        pairs.map(
          async ([verb, resource]) => `${verb} ${resource}: ${await allowed(verb, resource, namespace)}`,
        ),
      );
    // What provision's agent client calls (shared/runtime/provision-ports.ts), and no list: a leaked
    // provision credential makes pods, as it must, but cannot enumerate the agents or their events.
    expect(
      await rights([
        ['create', 'pods'],
        ['get', 'pods'],
        ['delete', 'pods'],
        ['create', 'secrets'],
        ['delete', 'secrets'],
        ['list', 'pods'],
        ['list', 'events'],
        ['list', 'secrets'],
        ['get', 'secrets'],
        ['update', 'pods'],
      ]),
    ).toEqual([
      'create pods: true',
      'get pods: true',
      'delete pods: true',
      'create secrets: true',
      'delete secrets: true',
      'list pods: false',
      'list events: false',
      'list secrets: false',
      'get secrets: false',
      'update pods: false',
    ]);
    expect(await allowed('create', 'pods', 'default')).toBe(false);
  });

  it('grants the reap and ops functions (their EKS group) what they do and nothing that creates', async () => {
    const access = admin.makeApiClient(AuthorizationV1Api);
    const allowed = async (verb: string, resource: string): Promise<boolean> =>
      (
        await access.createSubjectAccessReview({
          body: {
            spec: {
              user: 'arn:aws:sts::123456789012:assumed-role/pitcrew-reap/fn',
              groups: ['pitcrew:reapers'],
              resourceAttributes: { namespace, verb, resource },
            },
          },
        })
      ).status?.allowed ?? false;
    const rights = async (pairs: [string, string][]) =>
      Promise.all(
        pairs.map(async ([verb, resource]) => `${verb} ${resource}: ${await allowed(verb, resource)}`),
      );
    expect(
      await rights([
        ['list', 'pods'],
        ['get', 'pods'],
        ['delete', 'pods'],
        ['list', 'events'],
        ['get', 'events'],
        ['create', 'pods'],
        ['create', 'secrets'],
        ['delete', 'secrets'],
        ['get', 'secrets'],
        ['update', 'pods'],
      ]),
    ).toEqual([
      'list pods: true',
      'get pods: true',
      'delete pods: true',
      'list events: true',
      'get events: false',
      'create pods: false',
      'create secrets: false',
      'delete secrets: false',
      'get secrets: false',
      'update pods: false',
    ]);
  });
});
