import {
  AuthorizationV1Api,
  CoreV1Api,
  NetworkingV1Api,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { applyObjects, readManifests } from '../../../infra/local/kube/apply';
import { renderNetworkPolicies } from '../../../shared/cluster';
import { parseConfig } from '../../../shared/config';
import { adminKubeConfig, createTestNamespace, deleteNamespace } from '../../support/kube';

/**
 * The NetworkPolicies Pitcrew renders, and the `pitcrew k8s-manifests` command, against the real API
 * server: every object is accepted as it is written (no validation error, and no warning, which is
 * how the server flags a CIDR in a non-canonical form), and what is stored is what was rendered.
 */
const admin = adminKubeConfig();
const core = admin.makeApiClient(CoreV1Api);

/** A NetworkPolicy's server-side apply with dry run, over plain HTTPS so the API server's `Warning` headers are seen. */
async function dryRunApplyPolicy(
  kubeConfig: KubeConfig,
  object: KubernetesObject & { apiVersion: string },
): Promise<{ status: number; warnings: string[]; body: string }> {
  const cluster = kubeConfig.getCurrentCluster()!;
  const group = object.apiVersion.includes('/') ? `apis/${object.apiVersion}` : `api/${object.apiVersion}`;
  const url = new URL(
    `${cluster.server}/${group}/namespaces/${object.metadata!.namespace}/networkpolicies/${object.metadata!.name}`,
  );
  url.search = new URLSearchParams({ dryRun: 'All', fieldManager: 'pitcrew-test', force: 'true' }).toString();
  const options: RequestOptions = {
    method: 'PATCH',
    headers: { 'content-type': 'application/apply-patch+yaml' },
  };
  await kubeConfig.applyToHTTPSOptions(options);
  return new Promise((done, fail) => {
    const call = request(url, options, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        const header = response.headers.warning;
        done({ status: response.statusCode ?? 0, warnings: [header ?? []].flat(), body });
      });
    });
    call.once('error', fail);
    call.end(JSON.stringify(object));
  });
}

/** Runs the real `pitcrew` command, as an operator would. */
function pitcrew(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [resolve('bin/pitcrew.js'), ...args],
      { timeout: 60_000 },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

const yamlObjects = (text: string): KubernetesObject[] =>
  parseAllDocuments(text).map((doc) => doc.toJS() as KubernetesObject);

const configDir = mkdtempSync(join(tmpdir(), 'pitcrew-manifests-'));
function configFile(name: string, cluster: string, templates = ''): string {
  const path = join(configDir, `${name}.yaml`);
  writeFileSync(
    path,
    `
cluster:
${cluster}
sources:
  generic: { webhookSecret: { value: s } }
templates:
  - { name: gen, source: generic, labels: [linux], image: busybox }
${templates}
`,
  );
  return path;
}
const tokenCredentials = `  credentials: { kind: token, server: 'https://k8s.example.com', token: { value: t } }`;

describe('the rendered NetworkPolicies on the real API server', () => {
  let namespace: string;
  beforeAll(async () => {
    namespace = await createTestNamespace(core, 'netpol');
  });
  afterAll(() => deleteNamespace(core, namespace));

  const config = parseConfig(`
cluster:
  namespace: agents
  network:
    apiServerCidrs: [10.0.12.7/32, '2600:1f18:aa::17/128']
    deniedEgressCidrs: [169.254.169.254/32, 169.254.170.2/32, 'FD00:EC2::254/128', 10.9.8.7/8]
  credentials: { kind: token, server: 'https://k8s.example.com', token: { value: t } }
sources:
  generic: { webhookSecret: { value: s } }
templates:
  - { name: open, source: generic, labels: [open], image: busybox }
  - { name: locked, source: generic, labels: [locked], image: busybox, egressCidrs: [140.82.112.0/20, '2606:50C0::/32', 11.0.0.0/8] }
  - { name: dns-only, source: generic, labels: [dns], image: busybox, egressCidrs: [] }
`);
  const policies = () =>
    renderNetworkPolicies({ namespace, network: config.cluster.network, templates: config.templates });

  it('are each accepted by a server-side apply, without a warning', async () => {
    const answers = await Promise.all(
      policies().map(async (policy) => ({
        name: policy.metadata?.name,
        ...(await dryRunApplyPolicy(admin, policy as KubernetesObject & { apiVersion: string })),
      })),
    );
    expect(answers.map(({ name, status, warnings }) => ({ name, status, warnings }))).toEqual([
      { name: 'pitcrew-agents', status: 201, warnings: [] },
      { name: 'pitcrew-template-locked', status: 201, warnings: [] },
      { name: 'pitcrew-template-dns-only', status: 201, warnings: [] },
    ]);
  });

  it('are accepted with DNS servers given by address and by their pods, which the stored policy keeps', async () => {
    const listed = parseConfig(`
cluster:
  network:
    dnsServers:
      - { cidr: 169.254.20.10/32 }
      - { cidr: 'FD00:10::A/128' }
      - { namespace: dns, podLabels: { app.kubernetes.io/name: unbound, tier: Resolver_1 } }
  credentials: { kind: token, server: 'https://k8s.example.com', token: { value: t } }
sources:
  generic: { webhookSecret: { value: s } }
templates:
  - { name: strict-dns, source: generic, labels: [s], image: busybox, egressCidrs: [140.82.112.0/20] }
`);
    const [, strict] = renderNetworkPolicies({
      namespace,
      network: listed.cluster.network,
      templates: listed.templates,
    });
    const answer = await dryRunApplyPolicy(admin, strict as KubernetesObject & { apiVersion: string });
    expect({ status: answer.status, warnings: answer.warnings }).toEqual({ status: 201, warnings: [] });
    const stored = JSON.parse(answer.body) as { spec: { egress: unknown[] } };
    expect(stored.spec.egress[1]).toEqual({
      to: [
        { ipBlock: { cidr: '169.254.20.10/32' } },
        { ipBlock: { cidr: 'fd00:10::a/128' } },
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'dns' } },
          podSelector: { matchLabels: { 'app.kubernetes.io/name': 'unbound', tier: 'Resolver_1' } },
        },
      ],
      ports: [
        { protocol: 'UDP', port: 53 },
        { protocol: 'TCP', port: 53 },
      ],
    });
  });

  it('are stored as rendered', async () => {
    await applyObjects(admin, policies());
    const stored = await admin.makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy({ namespace });
    const byName = new Map(stored.items.map((policy) => [policy.metadata?.name, policy.spec]));
    for (const policy of policies()) expect(byName.get(policy.metadata?.name)).toEqual(policy.spec);
  });
});

describe('pitcrew k8s-manifests', () => {
  it('prints infra/k8s/ itself, and its long-lived token after the ServiceAccount, for a token config with the default names and network settings', async () => {
    const run = await pitcrew(['k8s-manifests', '--config', configFile('token', tokenCredentials)]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const shipped = readManifests(resolve('infra/k8s'));
    const token = readManifests(resolve('infra/k8s/token'));
    expect(token.map((object) => object.kind)).toEqual(['Secret']);
    expect(yamlObjects(run.stdout)).toEqual([...shipped.slice(0, 3), ...token, ...shipped.slice(3)]);
    expect(shipped.map((object) => object.kind).slice(2, 4)).toEqual(['ServiceAccount', 'Role']);
  });

  it('leaves the long-lived token out for EKS, which never uses it', async () => {
    const run = await pitcrew([
      'k8s-manifests',
      '--config',
      configFile('eks', '  credentials: { kind: eks, clusterName: ci-agents }'),
    ]);
    expect(run.code).toBe(0);
    const kinds = yamlObjects(run.stdout).map((object) => object.kind);
    expect(kinds).toEqual([
      'Namespace',
      'Namespace',
      'ServiceAccount',
      'Role',
      'Role',
      'Role',
      'RoleBinding',
      'RoleBinding',
      'RoleBinding',
      'NetworkPolicy',
    ]);
  });

  it("puts the config's names in, and what it prints applies and grants the account its rights there", async () => {
    const suffix = Math.random().toString(16).slice(2, 10);
    const [agents, system] = [`ci-agents-${suffix}`, `ci-system-${suffix}`];
    const path = configFile(
      'named',
      `  namespace: ${agents}
  provisionerServiceAccount: { name: ci-provisioner, namespace: ${system} }
  network: { apiServerCidrs: [10.0.12.7/32] }
${tokenCredentials}`,
      '  - { name: locked, source: generic, labels: [locked], image: busybox, egressCidrs: [140.82.112.0/20] }',
    );
    const run = await pitcrew(['k8s-manifests', '--config', path]);
    expect(run.code).toBe(0);
    const objects = yamlObjects(run.stdout);
    try {
      await applyObjects(admin, objects);
      expect(
        objects.map(
          (object) => `${object.kind}/${object.metadata?.namespace ?? ''}/${object.metadata?.name}`,
        ),
      ).toEqual([
        `Namespace//${system}`,
        `Namespace//${agents}`,
        `ServiceAccount/${system}/ci-provisioner`,
        `Secret/${system}/ci-provisioner-token`,
        `Role/${agents}/pitcrew-provisioner`,
        `Role/${agents}/pitcrew-provision`,
        `Role/${agents}/pitcrew-reaper`,
        `RoleBinding/${agents}/pitcrew-provisioner`,
        `RoleBinding/${agents}/pitcrew-provision`,
        `RoleBinding/${agents}/pitcrew-reaper`,
        `NetworkPolicy/${agents}/pitcrew-agents`,
        `NetworkPolicy/${agents}/pitcrew-template-locked`,
      ]);
      const may = async (verb: string, resource: string, inNamespace: string): Promise<boolean> =>
        (
          await admin.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
            body: {
              spec: {
                user: `system:serviceaccount:${system}:ci-provisioner`,
                groups: ['system:serviceaccounts', `system:serviceaccounts:${system}`],
                resourceAttributes: { namespace: inNamespace, verb, resource },
              },
            },
          })
        ).status?.allowed ?? false;
      expect(await may('create', 'pods', agents)).toBe(true);
      expect(await may('create', 'secrets', agents)).toBe(true);
      expect(await may('get', 'secrets', agents)).toBe(false);
      expect(await may('get', 'secrets', system)).toBe(false);
    } finally {
      await deleteNamespace(core, agents);
      await deleteNamespace(core, system);
    }
  });

  it('refuses to guess the config (exit 2) and names what is wrong in one that does not parse (exit 1)', async () => {
    expect(await pitcrew(['k8s-manifests'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--config/),
    });
    const bad = await pitcrew(['k8s-manifests', '--config', configFile('bad', '  namespace: Not_A_Label')]);
    expect(bad).toMatchObject({ code: 1, stdout: '' });
    expect(bad.stderr).toMatch(/cluster\.namespace: must be a DNS label/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});
