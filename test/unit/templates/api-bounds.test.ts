import { configProblemsOf } from '../../support/config-problems';

/**
 * Template values the API server refuses on every pod create (422), and limits a podYaml could take
 * away from an untrusted build: each is refused at config load, naming its key, so `npm run package`
 * stops instead of every build of the template failing (a review of the agent's boundary, 2026-12-05).
 */
const withTemplate = (template: Record<string, unknown>) => `
cluster:
  namespace: agents
  credentials: { kind: kubeconfig, path: /tmp/kubeconfig }
sources:
  generic: { webhookSecret: { env: GENERIC_SECRET } }
templates:
  - ${JSON.stringify({ name: 'tpl', source: 'generic', labels: ['linux'], image: 'busybox', ...template })}
`;

describe("a podYaml's activeDeadlineSeconds", () => {
  it.each([0, -60, 90.5, 'soon'])('%p is refused (the API takes a whole number from 1)', (deadline) => {
    expect(
      configProblemsOf(withTemplate({ podYaml: `spec:\n  activeDeadlineSeconds: ${deadline}\n` })),
    ).toEqual([
      expect.stringMatching(
        /^pitcrew\.yaml: templates\.0 \(tpl\)\.podYaml\.spec\.activeDeadlineSeconds: must be a whole number of seconds from 1 /,
      ),
    ]);
  });

  it.each([1, 600])('%p is taken (it shortens maxLifetimeSeconds)', (deadline) => {
    expect(
      configProblemsOf(withTemplate({ podYaml: `spec:\n  activeDeadlineSeconds: ${deadline}\n` })),
    ).toEqual([]);
  });
});

describe('maxLifetimeSeconds', () => {
  it('above 2^31-1, the most activeDeadlineSeconds can be, is refused', () => {
    expect(configProblemsOf(withTemplate({ maxLifetimeSeconds: 2 ** 31 }))).toEqual([
      'pitcrew.yaml: templates.0.maxLifetimeSeconds: Too big: expected number to be <=2147483647',
    ]);
  });

  it('at 2^31-1 is taken', () => {
    expect(configProblemsOf(withTemplate({ maxLifetimeSeconds: 2 ** 31 - 1 }))).toEqual([]);
  });
});

describe('resource quantities', () => {
  // Kubernetes' suffixes are case-sensitive: 2GB, 512mb and 1gi are typos the API server refuses.
  it.each(['2GB', '512mb', '1gi', '1.5.0', 'Gi', '1 Gi'])('%s is refused, naming the key', (quantity) => {
    expect(configProblemsOf(withTemplate({ resources: { limits: { memory: quantity } } }))).toEqual([
      expect.stringMatching(
        /^pitcrew\.yaml: templates\.0\.resources\.limits\.memory: must be a Kubernetes quantity such as 500m, 2 or 1Gi /,
      ),
    ]);
  });

  it.each(['512Mi', '1G', '1.5Gi', '.5Gi', '1e9', '2', '500m', '100n'])(
    '%s is taken (as a request under the default limit)',
    (quantity) => {
      expect(configProblemsOf(withTemplate({ resources: { requests: { memory: quantity } } }))).toEqual([]);
    },
  );
});

describe('the agent container keeps its memory and disk limits', () => {
  // The merge takes a podYaml's null as "remove": the build could then fill the node's memory or disk.
  const onAgent = (resources: string) =>
    `spec:\n  containers:\n    - name: agent\n      resources: ${resources}\n`;

  it.each([
    ['resources: null', onAgent('null'), ['memory', 'ephemeral-storage']],
    ['limits: null', onAgent('{ limits: null }'), ['memory', 'ephemeral-storage']],
    ['the memory limit null', onAgent('{ limits: { memory: null } }'), ['memory']],
    ['the disk limit null', onAgent("{ limits: { 'ephemeral-storage': null } }"), ['ephemeral-storage']],
  ])('a podYaml setting %s is refused, naming each limit', (_what, podYaml, names) => {
    expect(configProblemsOf(withTemplate({ podYaml }))).toEqual(
      names.map((name) =>
        expect.stringMatching(
          new RegExp(`^pitcrew\\.yaml: templates\\.0 \\(tpl\\): the agent container has no ${name} limit: `),
        ),
      ),
    );
  });

  it('a podYaml that changes the memory limit is taken', () => {
    expect(configProblemsOf(withTemplate({ podYaml: onAgent("{ limits: { memory: '4Gi' } }") }))).toEqual([]);
  });
});

/** A pod Kubernetes takes, with every kind of value the field check judges (the review of bug 88). */
const richPodYaml = `
metadata:
  annotations: { a: "1", when: 2026-01-01 }
  labels: { team: ci }
spec:
  nodeSelector: { dedicated: "true" }
  tolerations: [{ key: dedicated, operator: Equal, value: ci, effect: NoSchedule, tolerationSeconds: 30 }]
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms: [{ matchExpressions: [{ key: k, operator: In, values: [a, b] }] }]
  topologySpreadConstraints:
    - { maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: { matchLabels: { a: b } } }
  dnsConfig: { options: [{ name: ndots, value: "2" }], nameservers: [1.1.1.1] }
  overhead: { cpu: 100m }
  resources: { limits: { cpu: 2 } }
  resourceClaims: [{ name: gpu, resourceClaimTemplateName: gpu-template }]
  schedulingGates: [{ name: wait }]
  hostAliases: [{ ip: 127.0.0.1, hostnames: [a.local] }]
  securityContext: { sysctls: [{ name: kernel.shm_rmid_forced, value: "0" }], fsGroup: 1000 }
  containers:
    - name: agent
      resources: { limits: { memory: 4Gi, cpu: 2, nvidia.com/gpu: 1 }, claims: [{ name: gpu }] }
      ports: [{ containerPort: 8080, name: http }]
      readinessProbe: { httpGet: { path: /, port: http }, periodSeconds: 5 }
      livenessProbe: { tcpSocket: { port: 8080 }, terminationGracePeriodSeconds: 10 }
      startupProbe: { exec: { command: [true] }, failureThreshold: 30 }
      lifecycle: { preStop: { sleep: { seconds: 5 } } }
      env: [{ name: N, value: "1" }, { name: P, valueFrom: { fieldRef: { fieldPath: metadata.name } } }]
      resizePolicy: [{ resourceName: cpu, restartPolicy: NotRequired }]
  initContainers:
    - { name: side, image: busybox, restartPolicy: Always }
  volumes:
    - { name: scratch, emptyDir: { sizeLimit: 1Gi, medium: Memory } }
    - { name: eph, ephemeral: { volumeClaimTemplate: { spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } } } } }
`;

describe('fields a pod does not have (bug 88)', () => {
  // The API server drops an unknown field without a word: a `nodeSelecter` meant to keep a
  // privileged template on nodes of its own would be deployed as if it were not there.
  it.each([
    ['spec:\n  nodeSelecter: { dedicated: dind }\n', 'spec.nodeSelecter'],
    [
      'spec:\n  containers:\n    - name: agent\n      securityContxt: { runAsNonRoot: true }\n',
      'spec.containers.0.securityContxt',
    ],
    ['spec:\n  tolerations:\n    - { key: dedicated, efect: NoSchedule }\n', 'spec.tolerations.0.efect'],
    ['metadata:\n  labelz: { team: ci }\n', 'metadata.labelz'],
  ])('%j is refused, naming %s', (podYaml, field) => {
    expect(configProblemsOf(withTemplate({ podYaml }))).toEqual([
      `pitcrew.yaml: templates.0 (tpl): its pod's \`${field}\` is a field a pod does not have (a typo?): Kubernetes would drop it without a word`,
    ]);
  });

  it('takes a rich, valid pod: IntOrString ports, quantities, claims, probes, sidecars, ephemeral volumes', () => {
    expect(configProblemsOf(withTemplate({ podSecurity: 'privileged', podYaml: richPodYaml }))).toEqual([]);
  });

  // Values the walk leaves to the API server, read by the token-volume check without a TypeError:
  // an all-digit Secret name unquoted (YAML reads a number), null items.
  it.each([
    ['spec:\n  volumes:\n    - name: v\n      secret: { secretName: 2024 }\n'],
    ['spec:\n  volumes:\n    - name: v\n      projected: { sources: [null] }\n'],
    ['spec:\n  volumes:\n    - null\n'],
  ])('%j is read without a crash', (podYaml) => {
    expect(() => configProblemsOf(withTemplate({ podYaml }))).not.toThrow();
  });

  // A mapping or a number where a pod has a list, or the reverse: named, not a crash of the check.
  it.each([
    ['spec:\n  tolerations: { key: dedicated, effect: NoSchedule }\n', '`spec.tolerations` must be a list'],
    ['spec:\n  volumes: 5\n', '`spec.volumes` must be a list'],
    [
      'spec:\n  containers:\n    - name: agent\n      args: { a: 1 }\n',
      '`spec.containers.0.args` must be a list',
    ],
    ['spec:\n  securityContext: [1]\n', '`spec.securityContext` must be a mapping'],
  ])('%j is refused, naming %s', (podYaml, problem) => {
    expect(configProblemsOf(withTemplate({ podYaml }))).toContainEqual(
      `pitcrew.yaml: templates.0 (tpl): its pod's ${problem}`,
    );
  });

  it("takes every field of the pod it renders, labels' and annotations' own keys, and a podYaml's known fields", () => {
    expect(
      configProblemsOf(
        withTemplate({
          podYaml:
            'metadata:\n  annotations: { any-key: x }\n  labels: { team: ci }\nspec:\n  nodeSelector: { dedicated: dind }\n  tolerations:\n    - { key: dedicated, effect: NoSchedule, operator: Exists }\n  containers:\n    - name: agent\n      ports: [{ containerPort: 8080 }]\n',
        }),
      ),
    ).toEqual([]);
  });
});
