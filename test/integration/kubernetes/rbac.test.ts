import { ApiException, CoreV1Api, RbacAuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { join } from 'node:path';
import { applyObjects, readManifests } from '../../../infra/local/kube/apply';
import {
  adminKubeConfig,
  createTestNamespace,
  deleteNamespace,
  restrictedPod,
  tokenKubeConfig,
} from '../../support/kube';

const agentsNamespace = 'pitcrew-agents';
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
      namespace: agentsNamespace,
      body: { spec: { audiences: ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: 600 } },
    });
    provisioner = tokenKubeConfig(token.status!.token);
    otherNamespace = await createTestNamespace(adminCore, 'other');
  });
  afterAll(() => deleteNamespace(adminCore, otherNamespace));

  it('applies idempotently (a second apply changes nothing and does not fail)', async () => {
    const again = await applyObjects(admin, readManifests(join(process.cwd(), 'infra/k8s')));
    expect(again.map((object) => `${object.kind}/${object.metadata?.name}`)).toEqual([
      'Namespace/pitcrew-agents',
      'ServiceAccount/pitcrew-provisioner',
      'Role/pitcrew-provisioner',
      'RoleBinding/pitcrew-provisioner',
    ]);
  });

  it('lets the ServiceAccount create, list and delete pods and secrets in the agents namespace', async () => {
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
    expect(await statusOf(() => core.deleteNamespacedSecret({ namespace, name: 'rbac-probe' }))).toBe(200);
    expect(
      await statusOf(() =>
        core.deleteNamespacedPod({ namespace, name: 'rbac-probe', gracePeriodSeconds: 0 }),
      ),
    ).toBe(200);
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
