import { ApiException, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { ConfigError, configFileSchema, parseConfig, templateSchema } from '../../../shared/config';
import { renderAgentPod, renderTemplatePod } from '../../../shared/templates';
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

/**
 * The config loader's judge (shared/templates/pod-security.ts) and the API server's PodSecurity
 * admission see the same pods and must agree on each: templates whose pod is compliant, and one for
 * each kind of violation, each rendered as the provisioner renders it (renderTemplatePod, which the
 * loader uses), at every level. The pod goes, dry-run, to a namespace enforcing that level; the
 * template goes, with `podSecurity` set to that level, through parseConfig. Each case also says
 * which level it breaks, so agreeing on a wrong verdict fails too.
 */
interface JudgeCase {
  readonly name: string;
  /** Template fields (podYaml as an object, stringified here). */
  readonly template: Record<string, unknown>;
  /** The lowest level that refuses the pod, and the field the loader must name. */
  readonly breaks?: { readonly level: 'baseline' | 'restricted'; readonly field: string };
}

const agentContext = (securityContext: Record<string, unknown>) => ({
  podYaml: { spec: { containers: [{ name: 'agent', securityContext }] } },
});
const sidecar = (fields: Record<string, unknown>) => ({
  podYaml: { spec: { containers: [{ name: 'side', image: 'busybox:1.36', ...fields }] } },
});
const podSpec = (spec: Record<string, unknown>) => ({ podYaml: { spec } });
const safeInit = { name: 'clone', image: 'busybox:1.36' };

const judgeCases: JudgeCase[] = [
  // Compliant at every level.
  { name: 'the plain template', template: {} },
  {
    name: 'a sidecar and an init container',
    template: podSpec({ initContainers: [safeInit], containers: [{ name: 'cache', image: 'busybox:1.36' }] }),
  },
  {
    name: 'the restricted volume types',
    template: {
      volumes: [
        { name: 'work', emptyDir: {} },
        { name: 'settings', configMap: { name: 'build-settings' } },
        { name: 'keys', secret: { secretName: 'build-keys' } },
        { name: 'cache', persistentVolumeClaim: { claimName: 'build-cache' } },
        {
          name: 'info',
          downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] },
        },
        // A projected volume passes restricted; one that projects a ServiceAccount token is refused by
        // the loader for an agent with no account of its own (unit/templates/pod-security).
        { name: 'bundle', projected: { sources: [{ configMap: { name: 'build-settings' } }] } },
      ],
      volumeMounts: [{ name: 'work', mountPath: '/work' }],
    },
  },
  {
    name: 'NET_BIND_SERVICE added',
    template: agentContext({ capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } }),
  },
  {
    name: 'a Localhost seccomp profile',
    template: podSpec({
      securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'build.json' } },
    }),
  },
  {
    name: 'a safe sysctl',
    template: podSpec({
      securityContext: { sysctls: [{ name: 'net.ipv4.ping_group_range', value: '0 1000' }] },
    }),
  },
  {
    name: 'AppArmor RuntimeDefault',
    template: agentContext({ appArmorProfile: { type: 'RuntimeDefault' } }),
  },
  {
    name: 'SELinux container_t',
    template: podSpec({ securityContext: { seLinuxOptions: { type: 'container_t' } } }),
  },

  // Each refused by "baseline" (and so by "restricted").
  ...(['hostNetwork', 'hostPID', 'hostIPC'] as const).map((field) => ({
    name: field,
    template: podSpec({ [field]: true }),
    breaks: { level: 'baseline' as const, field: `spec.${field}` },
  })),
  {
    name: 'a privileged agent',
    template: agentContext({ privileged: true }),
    breaks: { level: 'baseline', field: 'spec.containers[0].securityContext.privileged' },
  },
  {
    name: 'a privileged init container',
    template: podSpec({ initContainers: [{ ...safeInit, securityContext: { privileged: true } }] }),
    breaks: { level: 'baseline', field: 'spec.initContainers[0].securityContext.privileged' },
  },
  {
    name: 'a privileged Docker-in-Docker sidecar',
    template: sidecar({ securityContext: { privileged: true } }),
    breaks: { level: 'baseline', field: 'spec.containers[1].securityContext.privileged' },
  },
  {
    name: 'SYS_ADMIN added',
    template: sidecar({ securityContext: { capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } } }),
    breaks: { level: 'baseline', field: 'spec.containers[1].securityContext.capabilities.add[0]' },
  },
  {
    name: 'a hostPath volume',
    template: {
      volumes: [{ name: 'sock', hostPath: { path: '/var/run/docker.sock' } }],
      volumeMounts: [{ name: 'sock', mountPath: '/var/run/docker.sock' }],
    },
    breaks: { level: 'baseline', field: 'spec.volumes[0].hostPath' },
  },
  {
    name: 'a host port',
    template: sidecar({ ports: [{ containerPort: 8080, hostPort: 8080 }] }),
    breaks: { level: 'baseline', field: 'spec.containers[1].ports[0].hostPort' },
  },
  {
    name: 'a probe of another host',
    template: sidecar({ livenessProbe: { httpGet: { host: '10.0.0.1', port: 80 } } }),
    breaks: { level: 'baseline', field: 'spec.containers[1].livenessProbe.httpGet.host' },
  },
  {
    name: 'AppArmor Unconfined',
    template: podSpec({ securityContext: { appArmorProfile: { type: 'Unconfined' } } }),
    breaks: { level: 'baseline', field: 'spec.securityContext.appArmorProfile.type' },
  },
  {
    name: 'AppArmor unconfined by annotation',
    template: {
      podYaml: {
        metadata: { annotations: { 'container.apparmor.security.beta.kubernetes.io/agent': 'unconfined' } },
      },
    },
    breaks: {
      level: 'baseline',
      field: 'metadata.annotations["container.apparmor.security.beta.kubernetes.io/agent"]',
    },
  },
  {
    name: 'SELinux spc_t',
    template: agentContext({ seLinuxOptions: { type: 'spc_t' } }),
    breaks: { level: 'baseline', field: 'spec.containers[0].securityContext.seLinuxOptions.type' },
  },
  {
    name: 'seccomp Unconfined',
    template: agentContext({ seccompProfile: { type: 'Unconfined' } }),
    breaks: { level: 'baseline', field: 'spec.containers[0].securityContext.seccompProfile.type' },
  },
  {
    name: 'an unsafe sysctl',
    template: podSpec({ securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '65536' }] } }),
    breaks: { level: 'baseline', field: 'spec.securityContext.sysctls[0].name' },
  },
  {
    name: 'an unmasked /proc',
    template: podSpec({
      hostUsers: false,
      containers: [{ name: 'agent', securityContext: { procMount: 'Unmasked' } }],
    }),
    breaks: { level: 'baseline', field: 'spec.containers[0].securityContext.procMount' },
  },

  // Each admitted by "baseline", refused by "restricted".
  {
    name: 'privilege escalation',
    template: podSpec({
      initContainers: [{ ...safeInit, securityContext: { allowPrivilegeEscalation: true } }],
    }),
    breaks: { level: 'restricted', field: 'spec.initContainers[0].securityContext.allowPrivilegeEscalation' },
  },
  {
    name: 'root allowed',
    template: podSpec({ securityContext: { runAsNonRoot: false } }),
    breaks: { level: 'restricted', field: 'spec.securityContext.runAsNonRoot' },
  },
  {
    name: 'user 0',
    template: sidecar({ securityContext: { runAsUser: 0 } }),
    breaks: { level: 'restricted', field: 'spec.containers[1].securityContext.runAsUser' },
  },
  {
    name: 'no seccomp profile',
    template: podSpec({ securityContext: { seccompProfile: null } }),
    breaks: { level: 'restricted', field: 'spec.containers[0].securityContext.seccompProfile.type' },
  },
  {
    name: 'capabilities kept',
    template: sidecar({ securityContext: { capabilities: { drop: [] } } }),
    breaks: { level: 'restricted', field: 'spec.containers[1].securityContext.capabilities.drop' },
  },
  {
    name: 'CHOWN added',
    template: agentContext({ capabilities: { drop: ['ALL'], add: ['CHOWN'] } }),
    breaks: { level: 'restricted', field: 'spec.containers[0].securityContext.capabilities.add[0]' },
  },
  {
    name: 'an NFS volume',
    template: {
      volumes: [{ name: 'cache', nfs: { server: 'nfs.example.com', path: '/cache' } }],
      volumeMounts: [{ name: 'cache', mountPath: '/cache' }],
    },
    breaks: { level: 'restricted', field: 'spec.volumes[0].nfs' },
  },
];

describe("the config loader and the API server's PodSecurity admission judge every template alike", () => {
  const levels = ['restricted', 'baseline', 'privileged'] as const;
  const namespaces: Partial<Record<(typeof levels)[number], string>> = {};
  beforeAll(async () => {
    for (const level of levels)
      namespaces[level] = await createTestNamespace(core, `psa-${level.slice(0, 4)}`, {
        'pod-security.kubernetes.io/enforce': level,
        'pod-security.kubernetes.io/enforce-version': 'latest',
      });
  });
  afterAll(() => Promise.all(Object.values(namespaces).map((namespace) => deleteNamespace(core, namespace))));

  const templateOf = (entry: JudgeCase, level: string) => {
    const { podYaml, ...fields } = entry.template;
    return {
      name: 'judged',
      source: 'generic',
      labels: ['linux'],
      image: 'busybox:1.36',
      podSecurity: level,
      ...fields,
      ...(podYaml ? { podYaml: stringify(podYaml) } : {}),
    };
  };

  /**
   * The loader's verdict: loaded, or refused at `expected` when its ConfigError names that field
   * (among others: a privileged container also lacks allowPrivilegeEscalation: false), else at the
   * fields it names.
   */
  function loaderVerdict(template: Record<string, unknown>, namespace: string, expected?: string): string {
    const config = {
      cluster: { namespace, credentials: { kind: 'kubeconfig', path: '/tmp/kubeconfig' } },
      sources: { generic: { webhookSecret: { value: 'judged-secret' } } },
      templates: [template],
    };
    try {
      parseConfig(stringify(config), 'pitcrew.yaml');
      return 'admitted';
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const fields = error.problems.map(({ problem }) => /: (\S+) /.exec(problem)?.[1] ?? problem);
      return `refused at ${expected && fields.includes(expected) ? expected : fields.join(', ')}`;
    }
  }

  it.each(judgeCases.map((entry) => [entry.name, entry] as const))('%s', async (_, entry) => {
    const verdicts: string[] = [];
    const expected: string[] = [];
    for (const level of levels) {
      const namespace = namespaces[level]!;
      const template = templateOf(entry, level);
      const pod = renderTemplatePod(templateSchema.parse(template), { defaults, cluster: { namespace } });
      const api = await admit(namespace, pod);
      const loader = loaderVerdict(template, namespace, entry.breaks?.field);
      const refused =
        entry.breaks &&
        (level === 'restricted' || (level === 'baseline' && entry.breaks.level === 'baseline'));
      const loaderExpected = refused ? `refused at ${entry.breaks!.field}` : 'admitted';
      // The API server must judge the pod by its Pod Security level, not refuse it as invalid.
      if (api !== 'admitted') expect(api).toMatch(new RegExp(`violates PodSecurity "${level}:latest"`));
      verdicts.push(`${level}: API ${api === 'admitted' ? 'admitted' : 'refused'}, loader ${loader}`);
      expected.push(`${level}: API ${refused ? 'refused' : 'admitted'}, loader ${loaderExpected}`);
    }
    expect(verdicts).toEqual(expected);
  });
});
