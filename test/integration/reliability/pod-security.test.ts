import { ApiException, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { configFileSchema, templateSchema } from '../../../shared/config';
import { renderAgentPod } from '../../../shared/templates';
import { adminKubeConfig, createTestNamespace, deleteNamespace } from '../../support/kube';

/**
 * Every agent pod passes the "restricted" Pod Security Standard: pods rendered from many template
 * shapes (every option a template has, sidecars and init containers added through podYaml) are
 * submitted, dry-run, to a namespace that enforces `restricted` on the real API server, whose
 * PodSecurity admission judges them. (The end-to-end tests create real pods in such namespaces.)
 */
const core = adminKubeConfig().makeApiClient(CoreV1Api);
const defaults = configFileSchema.shape.defaults.parse(undefined);

/** Admitted, or the API server's reason. */
async function admit(namespace: string, pod: V1Pod): Promise<string> {
  try {
    await core.createNamespacedPod({ namespace, body: pod, dryRun: 'All' });
    return 'admitted';
  } catch (error) {
    if (error instanceof ApiException)
      return String((JSON.parse(String(error.body)) as { message?: string }).message);
    throw error;
  }
}

const name = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);
const extraContainer = fc.record({
  name: name.map((value) => `side-${value}`),
  image: fc.constantFrom('busybox:1.36', 'docker.io/library/alpine:3.20'),
  command: fc.option(fc.constant(['sleep', '3600']), { nil: undefined }),
});
const templateShape = fc.record(
  {
    source: fc.constantFrom('jenkins', 'github', 'generic'),
    command: fc.constant(['/bin/agent']),
    args: fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }),
    env: fc.dictionary(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,10}$/), fc.string({ maxLength: 20 }), {
      maxKeys: 3,
    }),
    resources: fc.constant({ requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } }),
    nodeSelector: fc.constant({ 'kubernetes.io/os': 'linux' }),
    tolerations: fc.constant([{ key: 'ci', operator: 'Exists', effect: 'NoSchedule' }]),
    serviceAccount: fc.constant('builder'),
    volumes: fc.constant([
      { name: 'work', emptyDir: {} },
      { name: 'cache', configMap: { name: 'build-cache' } },
    ]),
    sidecars: fc.array(extraContainer, { maxLength: 2 }),
    initContainers: fc.array(
      extraContainer.map((container) => ({ ...container, name: `init-${container.name}` })),
      {
        maxLength: 1,
      },
    ),
    annotations: fc.constant({ 'example.com/team': 'ci' }),
  },
  { requiredKeys: ['source'] },
);

function templateFrom(shape: {
  source: 'jenkins' | 'github' | 'generic';
  sidecars?: { name: string; image: string }[];
  initContainers?: { name: string; image: string }[];
  annotations?: Record<string, string>;
  [key: string]: unknown;
}) {
  const { sidecars, initContainers, annotations, ...fields } = shape;
  // A mount needs its volume: the agent mounts the work volume whenever the template has volumes.
  if (fields.volumes) fields.volumeMounts = [{ name: 'work', mountPath: '/work' }];
  const sidecarNames = new Set<string>();
  const overlay = {
    ...(annotations ? { metadata: { annotations } } : {}),
    spec: {
      ...(sidecars?.length
        ? { containers: sidecars.filter((c) => !sidecarNames.has(c.name) && sidecarNames.add(c.name)) }
        : {}),
      ...(initContainers?.length ? { initContainers: initContainers.slice(0, 1) } : {}),
    },
  };
  return templateSchema.parse({
    name: 'psa',
    labels: ['linux'],
    image: 'busybox:1.36',
    ...fields,
    ...(Object.keys(overlay.spec).length > 0 || annotations ? { podYaml: stringify(overlay) } : {}),
  });
}

describe('every agent pod passes the restricted Pod Security Standard', () => {
  let namespace: string;
  beforeAll(async () => {
    namespace = await createTestNamespace(core, 'psa', {
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
    });
    // The ServiceAccount templates may name (admission checks it exists).
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'builder' } } });
  });
  afterAll(() => deleteNamespace(core, namespace));

  const render = (template: ReturnType<typeof templateFrom>, index: number): V1Pod =>
    renderAgentPod({
      template,
      defaults,
      namespace,
      podName: `pc-psa-${index}`,
      requestId: `generic-${index}`,
      agentEnv: { AGENT_NAME: `pc-psa-${index}` },
    });

  it('the plain template of each source', async () => {
    for (const source of ['jenkins', 'github', 'generic'] as const)
      expect(await admit(namespace, render(templateFrom({ source }), 0))).toBe('admitted');
  });

  it('a template with a sidecar and an init container added through podYaml', async () => {
    const template = templateFrom({
      source: 'jenkins',
      sidecars: [{ name: 'side-docker', image: 'docker.io/library/alpine:3.20' }],
      initContainers: [{ name: 'init-clone', image: 'busybox:1.36' }],
    });
    expect(await admit(namespace, render(template, 1))).toBe('admitted');
  });

  it('any shape a template can take (fast-check, 40 shapes)', async () => {
    let index = 100;
    await fc.assert(
      fc.asyncProperty(templateShape, async (shape) => {
        const verdict = await admit(namespace, render(templateFrom(shape), index++));
        expect(verdict).toBe('admitted');
      }),
      { numRuns: 40, seed: 20261125 },
    );
  });

  it('a template that weakens the pod on purpose is refused by the namespace, naming why', async () => {
    const template = templateSchema.parse({
      name: 'psa',
      source: 'generic',
      labels: ['linux'],
      image: 'busybox:1.36',
      podYaml: stringify({
        spec: { containers: [{ name: 'agent', securityContext: { allowPrivilegeEscalation: true } }] },
      }),
    });
    expect(await admit(namespace, render(template, 2))).toMatch(
      /violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false/,
    );
  });
});
