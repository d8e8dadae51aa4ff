import { CoreV1Api } from '@kubernetes/client-node';
import { join } from 'node:path';
import { applyObjects, readManifests } from '../../../infra/local/kube/apply';
import {
  ClusterRejectedError,
  ClusterUnavailableError,
  connectCluster,
  createAgentClient,
  type AgentClient,
} from '../../../shared/cluster';
import { createSecretResolver, parseConfig, type SecretReader } from '../../../shared/config';
import { startEksStandIn, type EksStandIn } from '../../support/eks-authenticator';
import { adminKubeConfig, createTestNamespace, deleteNamespace, restrictedPod } from '../../support/kube';

// infra/k8s/ as docs/deploy.md applies it: the agents' namespace, the provisioner's ServiceAccount
// in a namespace of its own, and a Role in the agents' namespace bound to that ServiceAccount and to
// the group EKS access entries map the Lambda role to.
const agentsNamespace = 'pitcrew-agents';
const systemNamespace = 'pitcrew-system';
const admin = adminKubeConfig();
const adminCore = admin.makeApiClient(CoreV1Api);
const adminCluster = admin.getCurrentCluster()!;

const clusterConfig = (credentials: string) =>
  parseConfig(`
cluster:
  namespace: ${agentsNamespace}
  credentials: ${credentials}
sources:
  generic: { webhookSecret: { value: s } }
templates:
  - { name: gen, source: generic, labels: [linux], image: busybox }
`).cluster;

async function mintProvisionerToken(): Promise<string> {
  const request = await adminCore.createNamespacedServiceAccountToken({
    name: 'pitcrew-provisioner',
    namespace: systemNamespace,
    body: { spec: { audiences: ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: 600 } },
  });
  return request.status!.token;
}

const uniqueName = (prefix: string) => `${prefix}-${Math.random().toString(16).slice(2, 10)}`;

async function createAndDeletePod(agents: AgentClient): Promise<void> {
  const name = uniqueName('access');
  await agents.createPod({ ...restrictedPod(name), metadata: { name, namespace: agentsNamespace } });
  await agents.deletePod(agentsNamespace, name);
}

beforeAll(async () => {
  await applyObjects(admin, readManifests(join(process.cwd(), 'infra/k8s')));
});

describe('a ServiceAccount token from Secrets Manager, against the real API server', () => {
  it('reads the token past the cache when the API server says 401, and carries on in the same call', async () => {
    const goodToken = await mintProvisionerToken();
    let stored = 'a-token-that-was-rotated-away';
    const reads: boolean[] = [];
    const reader: SecretReader = {
      parameter: async () => {
        throw new Error('not used');
      },
      // Secrets Manager as Powertools caches it: the old value until a forced read.
      secret: async (_id, options) => {
        reads.push(options.forceFetch);
        if (options.forceFetch) stored = goodToken;
        return JSON.stringify({
          token: stored,
          'ca.crt': Buffer.from(adminCluster.caData!, 'base64').toString(),
        });
      },
    };
    const core = await connectCluster(
      clusterConfig(`
    kind: token
    server: ${adminCluster.server}
    token: { secretsManager: 'pitcrew/{stage}/cluster', key: token }
    caData: { secretsManager: 'pitcrew/{stage}/cluster', key: ca.crt }`),
      {
        secrets: createSecretResolver({ env: {}, stage: 'test', reader, maxAgeSeconds: 300 }),
        region: 'us-east-1',
      },
    );
    await createAndDeletePod(createAgentClient(core));
    expect(reads.filter(Boolean)).toHaveLength(1);
  });
});

describe('EKS tokens, through a stand-in for EKS authentication in front of the real API server', () => {
  const credentials = {
    accessKeyId: 'AKIDPITCREWTEST',
    secretAccessKey: 'test-secret-key',
    sessionToken: 'session',
  };
  let eks: EksStandIn;
  let otherNamespace: string;
  beforeAll(async () => {
    eks = await startEksStandIn({
      clusterName: 'ci-agents',
      secretKeys: { [credentials.accessKeyId]: credentials.secretAccessKey },
      // What an access entry for the provision function's role with kubernetesGroups maps to.
      username: 'arn:aws:sts::123456789012:assumed-role/pitcrew-prod-provision/pitcrew',
      groups: ['pitcrew:provisioners'],
    });
    otherNamespace = await createTestNamespace(adminCore, 'eks-other');
  });
  afterAll(async () => {
    await eks.close();
    await deleteNamespace(adminCore, otherNamespace);
  });

  const connectAs = (clusterName: string) =>
    connectCluster(
      clusterConfig(
        `{ kind: eks, clusterName: ${clusterName}, region: eu-west-1, server: '${eks.server}', caData: ${eks.caData} }`,
      ),
      {
        secrets: createSecretResolver({ env: {}, stage: 'test', maxAgeSeconds: 0 }),
        region: 'eu-west-1',
        credentials: async () => credentials,
      },
    ).then(createAgentClient);

  it('creates and deletes an agent pod as the group the access entry maps the role to', async () => {
    await createAndDeletePod(await connectAs('ci-agents'));
  });

  it('has no rights outside the agents namespace (the Role, not a ClusterRole)', async () => {
    const agents = await connectAs('ci-agents');
    const failure = await agents
      .listPods(otherNamespace, 'app.kubernetes.io/managed-by=pitcrew')
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ClusterRejectedError);
    expect((failure as ClusterRejectedError).status).toBe(403);
  });

  it('is refused for another cluster: the cluster name is signed into the token', async () => {
    const before = eks.refusals.length;
    const failure = await (
      await connectAs('another-cluster')
    )
      .listPods(agentsNamespace, 'app.kubernetes.io/managed-by=pitcrew')
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ClusterUnavailableError);
    expect((failure as ClusterUnavailableError).status).toBe(401);
    // The first token and the fresh one signed after the 401.
    expect(eks.refusals.slice(before)).toEqual(['bad signature', 'bad signature']);
  });
});
