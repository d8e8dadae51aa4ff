import {
  ApiException,
  CoreV1Api,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
  type KubeConfig,
} from '@kubernetes/client-node';
import { join } from 'node:path';
import { applyObjects, readManifests } from '../../../infra/local/kube/apply';
import { createAgentClient } from '../../../shared/cluster';
import {
  adminKubeConfig,
  createTestNamespace,
  deleteNamespace,
  restrictedPod,
  tokenKubeConfig,
} from '../../support/kube';

const agentsNamespace = 'pitcrew-agents';
/** The provisioner's own namespace: its ServiceAccount and token, and no rights of its own there. */
const systemNamespace = 'pitcrew-system';
const serviceAccount = 'pitcrew-provisioner';

/** Resolves the HTTP status of a call: 200 for success, the API's code otherwise. */
async function statusOf(call: () => Promise<unknown>): Promise<number> {
  try {
    await call();
    return 200;
  } catch (error) {
    if (error instanceof ApiException) return error.code;
    throw error;
  }
}

describe('the provisioner RBAC in infra/k8s/', () => {
  const admin = adminKubeConfig();
  const adminCore = admin.makeApiClient(CoreV1Api);
  let provisioner: KubeConfig;
  let otherNamespace: string;

  beforeAll(async () => {
    await applyObjects(admin, readManifests(join(process.cwd(), 'infra/k8s')));
    // TokenRequest API: a short-lived, audience-bound token for the ServiceAccount.
    const token = await adminCore.createNamespacedServiceAccountToken({
      name: serviceAccount,
      namespace: systemNamespace,
      body: { spec: { audiences: ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: 600 } },
    });
    provisioner = tokenKubeConfig(token.status!.token);
    otherNamespace = await createTestNamespace(adminCore, 'other');
  });
  afterAll(() => deleteNamespace(adminCore, otherNamespace));

  it('applies idempotently (a second apply changes nothing and does not fail)', async () => {
    const again = await applyObjects(admin, readManifests(join(process.cwd(), 'infra/k8s')));
    expect(again.map((object) => `${object.kind}/${object.metadata?.name}`)).toEqual([
      'Namespace/pitcrew-system',
      'Namespace/pitcrew-agents',
      'ServiceAccount/pitcrew-provisioner',
      'Role/pitcrew-provisioner',
      'Role/pitcrew-provision',
      'Role/pitcrew-reaper',
      'RoleBinding/pitcrew-provisioner',
      'RoleBinding/pitcrew-provision',
      'RoleBinding/pitcrew-reaper',
      'NetworkPolicy/pitcrew-agents',
    ]);
    expect(again.map((object) => object.metadata?.namespace)).toEqual([
      undefined,
      undefined,
      systemNamespace,
      agentsNamespace,
      agentsNamespace,
      agentsNamespace,
      agentsNamespace,
      agentsNamespace,
      agentsNamespace,
      agentsNamespace,
    ]);
  });

  it('keeps the long-lived token for the ServiceAccount apart (infra/k8s/token/), in its own namespace, for the token controller to fill', async () => {
    // `kubectl apply -f infra/k8s/` alone makes none (it does not descend into folders): EKS never uses it.
    expect(readManifests(join(process.cwd(), 'infra/k8s')).filter(({ kind }) => kind === 'Secret')).toEqual(
      [],
    );
    await applyObjects(admin, readManifests(join(process.cwd(), 'infra/k8s/token')));
    const secret = await adminCore.readNamespacedSecret({
      namespace: systemNamespace,
      name: 'pitcrew-provisioner-token',
    });
    expect(secret.type).toBe('kubernetes.io/service-account-token');
    expect(secret.metadata?.annotations?.['kubernetes.io/service-account.name']).toBe(serviceAccount);
  });

  it('lets the ServiceAccount create, list and delete pods, and create and delete secrets, in the agents namespace', async () => {
    const core = provisioner.makeApiClient(CoreV1Api);
    const namespace = agentsNamespace;
    expect(
      await statusOf(() => core.createNamespacedPod({ namespace, body: restrictedPod('rbac-probe') })),
    ).toBe(200);
    expect((await core.listNamespacedPod({ namespace })).items.map((pod) => pod.metadata?.name)).toContain(
      'rbac-probe',
    );
    expect(await statusOf(() => core.readNamespacedPod({ namespace, name: 'rbac-probe' }))).toBe(200);
    expect(
      await statusOf(() =>
        core.createNamespacedSecret({
          namespace,
          body: { metadata: { name: 'rbac-probe' }, stringData: { a: 'b' } },
        }),
      ),
    ).toBe(200);
    expect(await statusOf(() => core.listNamespacedEvent({ namespace }))).toBe(200);
    // Credentials go in and never come back out: no get, no list.
    expect(await statusOf(() => core.readNamespacedSecret({ namespace, name: 'rbac-probe' }))).toBe(403);
    expect(await statusOf(() => core.listNamespacedSecret({ namespace }))).toBe(403);
    expect(await statusOf(() => core.deleteNamespacedSecret({ namespace, name: 'rbac-probe' }))).toBe(200);
    expect(
      await statusOf(() =>
        core.deleteNamespacedPod({ namespace, name: 'rbac-probe', gracePeriodSeconds: 0 }),
      ),
    ).toBe(200);
  });

  it("tells a retry whether an agent's Secret exists without reading it, and makes none", async () => {
    const agents = createAgentClient(provisioner.makeApiClient(CoreV1Api));
    const namespace = agentsNamespace;
    await adminCore.createNamespacedPod({ namespace, body: restrictedPod('rbac-find-both') });
    await adminCore.createNamespacedSecret({ namespace, body: { metadata: { name: 'rbac-find-both' } } });
    await adminCore.createNamespacedPod({ namespace, body: restrictedPod('rbac-find-pod') });
    const both = await agents.findAgent(namespace, 'rbac-find-both');
    expect({ pod: both.pod?.metadata?.name, hasSecret: both.hasSecret }).toEqual({
      pod: 'rbac-find-both',
      hasSecret: true,
    });
    const podOnly = await agents.findAgent(namespace, 'rbac-find-pod');
    expect({ pod: podOnly.pod?.metadata?.name, hasSecret: podOnly.hasSecret }).toEqual({
      pod: 'rbac-find-pod',
      hasSecret: false,
    });
    expect(await agents.findAgent(namespace, 'rbac-find-none')).toEqual({ hasSecret: false });
    // The check was a dry run: the pod without a Secret still has none.
    expect(await statusOf(() => adminCore.readNamespacedSecret({ namespace, name: 'rbac-find-pod' }))).toBe(
      404,
    );
  });

  it('forbids it everything in its own namespace: its token, new tokens, its account', async () => {
    const core = provisioner.makeApiClient(CoreV1Api);
    const namespace = systemNamespace;
    expect(
      await statusOf(() => core.readNamespacedSecret({ namespace, name: 'pitcrew-provisioner-token' })),
    ).toBe(403);
    expect(await statusOf(() => core.listNamespacedSecret({ namespace }))).toBe(403);
    expect(
      await statusOf(() =>
        core.createNamespacedServiceAccountToken({
          name: serviceAccount,
          namespace,
          body: { spec: { audiences: [] } },
        }),
      ),
    ).toBe(403);
    expect(await statusOf(() => core.readNamespacedServiceAccount({ namespace, name: serviceAccount }))).toBe(
      403,
    );
    expect(await statusOf(() => core.listNamespacedPod({ namespace }))).toBe(403);
  });

  it('forbids it the NetworkPolicies that fence the agents in (the operator applies them)', async () => {
    const networking = provisioner.makeApiClient(NetworkingV1Api);
    const namespace = agentsNamespace;
    expect(await statusOf(() => networking.listNamespacedNetworkPolicy({ namespace }))).toBe(403);
    expect(
      await statusOf(() => networking.deleteNamespacedNetworkPolicy({ namespace, name: 'pitcrew-agents' })),
    ).toBe(403);
    expect(
      await statusOf(() =>
        networking.createNamespacedNetworkPolicy({
          namespace,
          body: { metadata: { name: 'allow-all' }, spec: { podSelector: {}, egress: [{}] } },
        }),
      ),
    ).toBe(403);
  });

  it('forbids it to change a pod it may create (no update or patch)', async () => {
    const core = provisioner.makeApiClient(CoreV1Api);
    await adminCore.createNamespacedPod({ namespace: agentsNamespace, body: restrictedPod('rbac-no-patch') });
    const pod = await core.readNamespacedPod({ namespace: agentsNamespace, name: 'rbac-no-patch' });
    expect(
      await statusOf(() =>
        core.replaceNamespacedPod({ namespace: agentsNamespace, name: 'rbac-no-patch', body: pod }),
      ),
    ).toBe(403);
  });

  it('forbids pods and secrets in any other namespace', async () => {
    const core = provisioner.makeApiClient(CoreV1Api);
    expect(
      await statusOf(() =>
        core.createNamespacedPod({ namespace: otherNamespace, body: restrictedPod('nope') }),
      ),
    ).toBe(403);
    expect(await statusOf(() => core.listNamespacedPod({ namespace: otherNamespace }))).toBe(403);
    expect(await statusOf(() => core.listNamespacedSecret({ namespace: otherNamespace }))).toBe(403);
    expect(await statusOf(() => core.listPodForAllNamespaces())).toBe(403);
  });

  it('forbids nodes and other cluster-scoped objects', async () => {
    const core = provisioner.makeApiClient(CoreV1Api);
    const rbac = provisioner.makeApiClient(RbacAuthorizationV1Api);
    expect(await statusOf(() => core.listNode())).toBe(403);
    expect(await statusOf(() => core.deleteNode({ name: 'kwok-node-0' }))).toBe(403);
    expect(await statusOf(() => core.listNamespace())).toBe(403);
    expect(await statusOf(() => core.createNamespace({ body: { metadata: { name: 'rbac-escape' } } }))).toBe(
      403,
    );
    expect(await statusOf(() => rbac.listClusterRole())).toBe(403);
    expect(
      await statusOf(() =>
        rbac.createNamespacedRoleBinding({
          namespace: agentsNamespace,
          body: {
            metadata: { name: 'escalate' },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
            subjects: [],
          },
        }),
      ),
    ).toBe(403);
  });

  it('rejects a token that was never issued (401, not 403)', async () => {
    const core = tokenKubeConfig('forged-token').makeApiClient(CoreV1Api);
    expect(await statusOf(() => core.listNamespacedPod({ namespace: agentsNamespace }))).toBe(401);
  });
});
