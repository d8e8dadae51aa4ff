import { CoreV1Api, type KubernetesObject, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyObjects, readManifests } from '../../../infra/local/kube/apply';
import { adminKubeConfig, deleteNamespace } from '../../support/kube';

const exampleDir = join(process.cwd(), 'infra/examples/jenkins');
const admin = adminKubeConfig();
const core = admin.makeApiClient(CoreV1Api);

const objects = readManifests(exampleDir);
const byKind = (kind: string): KubernetesObject[] => objects.filter((object) => object.kind === kind);
const namespace = byKind('Namespace')[0]!.metadata!.name!;
const deployment = byKind('Deployment')[0] as V1Deployment;
const initScripts = byKind('ConfigMap')[0] as KubernetesObject & { data: Record<string, string> };

/** The QueueListener script of docs/jenkins.md, section 1. */
function documentedListener(): string {
  const doc = readFileSync('docs/jenkins.md', 'utf8');
  const section = doc.slice(doc.indexOf('## 1. The QueueListener script'));
  const start = section.indexOf('```groovy\n') + '```groovy\n'.length;
  return section.slice(start, section.indexOf('```\n', start));
}

describe('infra/examples/jenkins (a Jenkins controller whose builds run on Pitcrew agents)', () => {
  beforeAll(async () => {
    // A dry run needs the namespace to exist, and a pod its ServiceAccount: only those are made.
    await applyObjects(admin, [...byKind('Namespace'), ...byKind('ServiceAccount')]);
  });
  afterAll(() => deleteNamespace(core, namespace));

  it('is accepted by the real API server (server-side apply, dry run)', async () => {
    const applied = await applyObjects(admin, objects, { dryRun: true });
    expect(applied.map((object) => `${object.kind}/${object.metadata?.name}`)).toEqual([
      'Namespace/jenkins',
      'ServiceAccount/jenkins',
      'ConfigMap/jenkins-init-scripts',
      'PersistentVolumeClaim/jenkins-home',
      'Deployment/jenkins',
      'Service/jenkins',
    ]);
  });

  it("runs a controller pod the namespace's restricted Pod Security admission lets in", async () => {
    const pod: V1Pod = {
      metadata: { name: 'jenkins-dry-run', namespace, labels: deployment.spec!.template.metadata!.labels },
      spec: deployment.spec!.template.spec!,
    };
    const created = await core.createNamespacedPod({ namespace, body: pod, dryRun: 'All' });
    expect(created.spec?.containers[0]?.securityContext?.allowPrivilegeEscalation).toBe(false);
  });

  it('refuses a pod that breaks the restricted standard (the check above can fail)', async () => {
    const pod: V1Pod = {
      metadata: { name: 'jenkins-unrestricted', namespace },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    };
    const refusal = await core
      .createNamespacedPod({ namespace, body: pod, dryRun: 'All' })
      .catch((e: unknown) => e);
    const status = JSON.parse(String((refusal as { body?: unknown }).body)) as {
      code: number;
      message: string;
    };
    expect(status.code).toBe(403);
    expect(status.message).toMatch(/violates PodSecurity "restricted:latest"/);
  });

  it('starts Jenkins with the QueueListener of docs/jenkins.md, unchanged', () => {
    expect(initScripts.data['20-pitcrew.groovy']).toBe(documentedListener());
  });

  it('reads every setting from the `pitcrew` Secret that docs/deploy.md tells you to create', () => {
    const container = deployment.spec!.template.spec!.containers[0]!;
    const keys = (container.env ?? [])
      .map((variable) => variable.valueFrom?.secretKeyRef)
      .filter((ref) => ref !== undefined)
      .map((ref) => {
        expect(ref.name).toBe('pitcrew');
        return ref.key;
      });
    const deployDoc = readFileSync('docs/deploy.md', 'utf8');
    const command = deployDoc.slice(deployDoc.indexOf('kubectl -n jenkins create secret generic pitcrew'));
    const documented = [
      ...command.slice(0, command.indexOf('```')).matchAll(/--from-literal=([a-z-]+)=/g),
    ].map((match) => match[1]);
    expect(documented.sort()).toEqual(keys.sort());
    // Both scripts read their settings from those variables.
    for (const variable of ['PITCREW_WEBHOOK_URL', 'PITCREW_WEBHOOK_SECRET'])
      expect(initScripts.data['20-pitcrew.groovy']).toContain(variable);
    for (const variable of ['JENKINS_URL', 'JENKINS_ADMIN_PASSWORD', 'PITCREW_JENKINS_API_TOKEN'])
      expect(initScripts.data['10-security.groovy']).toContain(variable);
  });

  it('reaches the controller over TLS only, at the https URL docs/deploy.md gives Pitcrew and the agents', () => {
    const service = byKind('Service')[0] as KubernetesObject & {
      spec: { ports: { name: string; port: number }[] };
    };
    const annotations = service.metadata?.annotations ?? {};
    const tlsPorts = (annotations['service.beta.kubernetes.io/aws-load-balancer-ssl-ports'] ?? '').split(',');
    // Every listener ends TLS: no port the API token or the agents' connection could cross in clear.
    expect(
      service.spec.ports.map(({ name, port }) => ({ name, port, tls: tlsPorts.includes(name) })),
    ).toEqual([{ name: 'https', port: 443, tls: true }]);
    expect(annotations['service.beta.kubernetes.io/aws-load-balancer-ssl-cert']).toMatch(/^arn:aws:acm:/);
    const section = readFileSync('docs/deploy.md', 'utf8').split('## 9. A Jenkins to go with it')[1]!;
    const urls = [...section.split('## 10.')[0]!.matchAll(/(?:url: |jenkins-url=")(\S+?)["\s]/g)].map(
      (match) => match[1],
    );
    expect(urls.length).toBe(2);
    for (const url of urls) expect(url).toMatch(/^https:\/\//);
  });
});
