import type { V1Pod } from '@kubernetes/client-node';
import { checkPodSecurity, type PodSecurityLevel } from '../../../shared/templates';
import { configProblemsOf } from '../../support/config-problems';

/** A pod that meets "restricted", as Pitcrew renders one; `change` edits a copy of it. */
function pod(change: (pod: V1Pod & { spec: NonNullable<V1Pod['spec']> }) => void = () => undefined): V1Pod {
  const safe = { allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] } };
  const base = {
    metadata: { name: 'pc-tpl-0', labels: {}, annotations: {} as Record<string, string> },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      initContainers: [{ name: 'clone', image: 'alpine', securityContext: structuredClone(safe) }],
      containers: [
        { name: 'agent', image: 'agent', securityContext: structuredClone(safe) },
        { name: 'side', image: 'alpine', securityContext: structuredClone(safe) },
      ],
      volumes: [{ name: 'work', emptyDir: {} }],
    },
  };
  change(base as never);
  return base as V1Pod;
}

const paths = (candidate: V1Pod, level: PodSecurityLevel): string[] =>
  checkPodSecurity(candidate, level).map((violation) => violation.path);

describe('checkPodSecurity', () => {
  it('finds nothing wrong with the pod Pitcrew renders, at every level', () => {
    expect(paths(pod(), 'restricted')).toEqual([]);
    expect(paths(pod(), 'baseline')).toEqual([]);
    expect(paths(pod(), 'privileged')).toEqual([]);
  });

  // Each breaks "baseline" (and so "restricted"): the field it names.
  it.each<[string, (p: V1Pod & { spec: NonNullable<V1Pod['spec']> }) => void, string]>([
    ['host network', (p) => (p.spec.hostNetwork = true), 'spec.hostNetwork'],
    ['host PID', (p) => (p.spec.hostPID = true), 'spec.hostPID'],
    ['host IPC', (p) => (p.spec.hostIPC = true), 'spec.hostIPC'],
    [
      'a privileged init container',
      (p) => (p.spec.initContainers![0]!.securityContext!.privileged = true),
      'spec.initContainers[0].securityContext.privileged',
    ],
    [
      'a privileged sidecar',
      (p) => (p.spec.containers[1]!.securityContext!.privileged = true),
      'spec.containers[1].securityContext.privileged',
    ],
    [
      'a privileged ephemeral container',
      (p) =>
        (p.spec.ephemeralContainers = [
          { name: 'debug', image: 'alpine', securityContext: { privileged: true } },
        ]),
      'spec.ephemeralContainers[0].securityContext.privileged',
    ],
    [
      'a capability beyond the default set',
      (p) => (p.spec.containers[0]!.securityContext!.capabilities = { drop: ['ALL'], add: ['SYS_ADMIN'] }),
      'spec.containers[0].securityContext.capabilities.add[0]',
    ],
    [
      'a hostPath volume',
      (p) => p.spec.volumes!.push({ name: 'docker', hostPath: { path: '/var/run/docker.sock' } }),
      'spec.volumes[1].hostPath',
    ],
    [
      'a host port',
      (p) => (p.spec.containers[1]!.ports = [{ containerPort: 80 }, { containerPort: 8080, hostPort: 8080 }]),
      'spec.containers[1].ports[1].hostPort',
    ],
    [
      'a probe that reaches another host',
      (p) => (p.spec.containers[0]!.livenessProbe = { httpGet: { host: '10.0.0.1', port: 80 } }),
      'spec.containers[0].livenessProbe.httpGet.host',
    ],
    [
      'a lifecycle hook that reaches another host',
      (p) => (p.spec.containers[0]!.lifecycle = { preStop: { tcpSocket: { host: 'db', port: 5432 } } }),
      'spec.containers[0].lifecycle.preStop.tcpSocket.host',
    ],
    [
      'AppArmor unconfined on the pod',
      (p) => (p.spec.securityContext!.appArmorProfile = { type: 'Unconfined' }),
      'spec.securityContext.appArmorProfile.type',
    ],
    [
      'AppArmor unconfined by annotation',
      (p) =>
        (p.metadata!.annotations!['container.apparmor.security.beta.kubernetes.io/agent'] = 'unconfined'),
      'metadata.annotations["container.apparmor.security.beta.kubernetes.io/agent"]',
    ],
    [
      'an SELinux type of the host',
      (p) => (p.spec.containers[0]!.securityContext!.seLinuxOptions = { type: 'spc_t' }),
      'spec.containers[0].securityContext.seLinuxOptions.type',
    ],
    [
      'an SELinux user',
      (p) => (p.spec.securityContext!.seLinuxOptions = { user: 'system_u' }),
      'spec.securityContext.seLinuxOptions.user',
    ],
    [
      'an unmasked /proc',
      (p) => (p.spec.containers[0]!.securityContext!.procMount = 'Unmasked'),
      'spec.containers[0].securityContext.procMount',
    ],
    [
      'an unsafe sysctl',
      (p) => (p.spec.securityContext!.sysctls = [{ name: 'kernel.msgmax', value: '65536' }]),
      'spec.securityContext.sysctls[0].name',
    ],
    [
      'a Windows host process',
      (p) => (p.spec.securityContext!.windowsOptions = { hostProcess: true }),
      'spec.securityContext.windowsOptions.hostProcess',
    ],
  ])('%s breaks baseline, naming %s', (_, change, path) => {
    const candidate = pod(change);
    expect(checkPodSecurity(candidate, 'baseline')).toEqual([
      { path, problem: expect.any(String), level: 'baseline' },
    ]);
    expect(paths(candidate, 'restricted')).toContain(path);
    expect(paths(candidate, 'privileged')).toEqual([]);
  });

  it('seccomp Unconfined breaks baseline', () => {
    const candidate = pod(
      (p) => (p.spec.containers[0]!.securityContext!.seccompProfile = { type: 'Unconfined' }),
    );
    expect(paths(candidate, 'baseline')).toEqual(['spec.containers[0].securityContext.seccompProfile.type']);
    expect(paths(candidate, 'restricted')).toEqual([
      'spec.containers[0].securityContext.seccompProfile.type',
    ]);
  });

  // Each meets "baseline" but breaks "restricted".
  it.each<[string, (p: V1Pod & { spec: NonNullable<V1Pod['spec']> }) => void, string[]]>([
    [
      'privilege escalation allowed',
      (p) => (p.spec.initContainers![0]!.securityContext!.allowPrivilegeEscalation = true),
      ['spec.initContainers[0].securityContext.allowPrivilegeEscalation'],
    ],
    [
      'privilege escalation not said',
      (p) => delete p.spec.containers[1]!.securityContext!.allowPrivilegeEscalation,
      ['spec.containers[1].securityContext.allowPrivilegeEscalation'],
    ],
    [
      'root allowed on the pod',
      (p) => (p.spec.securityContext!.runAsNonRoot = false),
      ['spec.securityContext.runAsNonRoot'],
    ],
    [
      'runAsNonRoot said nowhere',
      (p) => delete p.spec.securityContext!.runAsNonRoot,
      [
        'spec.initContainers[0].securityContext.runAsNonRoot',
        'spec.containers[0].securityContext.runAsNonRoot',
        'spec.containers[1].securityContext.runAsNonRoot',
      ],
    ],
    [
      'user 0 in a container',
      (p) => (p.spec.containers[1]!.securityContext!.runAsUser = 0),
      ['spec.containers[1].securityContext.runAsUser'],
    ],
    ['user 0 on the pod', (p) => (p.spec.securityContext!.runAsUser = 0), ['spec.securityContext.runAsUser']],
    [
      'no seccomp profile anywhere',
      (p) => delete p.spec.securityContext!.seccompProfile,
      [
        'spec.initContainers[0].securityContext.seccompProfile.type',
        'spec.containers[0].securityContext.seccompProfile.type',
        'spec.containers[1].securityContext.seccompProfile.type',
      ],
    ],
    [
      'capabilities not dropped',
      (p) => (p.spec.containers[1]!.securityContext!.capabilities = {}),
      ['spec.containers[1].securityContext.capabilities.drop'],
    ],
    [
      'a default capability added',
      (p) => (p.spec.containers[0]!.securityContext!.capabilities = { drop: ['ALL'], add: ['CHOWN'] }),
      ['spec.containers[0].securityContext.capabilities.add[0]'],
    ],
    [
      'an NFS volume',
      (p) => p.spec.volumes!.push({ name: 'cache', nfs: { server: 'nfs', path: '/cache' } }),
      ['spec.volumes[1].nfs'],
    ],
  ])('%s breaks restricted only', (_, change, expected) => {
    const candidate = pod(change);
    expect(paths(candidate, 'baseline')).toEqual([]);
    expect(paths(candidate, 'restricted')).toEqual(expected);
    expect(checkPodSecurity(candidate, 'restricted').every((found) => found.level === 'restricted')).toBe(
      true,
    );
  });

  it('allows what the restricted level allows', () => {
    const candidate = pod((p) => {
      p.spec.containers[0]!.securityContext!.capabilities = { drop: ['ALL'], add: ['NET_BIND_SERVICE'] };
      p.spec.securityContext!.seccompProfile = { type: 'Localhost', localhostProfile: 'profiles/build.json' };
      p.spec.securityContext!.sysctls = [{ name: 'net.ipv4.ping_group_range', value: '0 2147483647' }];
      p.spec.securityContext!.seLinuxOptions = { type: 'container_t', level: 's0:c1,c2' };
      p.spec.containers[1]!.securityContext!.appArmorProfile = { type: 'RuntimeDefault' };
      p.spec.containers[1]!.securityContext!.procMount = 'Default';
      p.spec.containers[1]!.ports = [{ containerPort: 8080, hostPort: 0 }];
      p.metadata!.annotations!['container.apparmor.security.beta.kubernetes.io/agent'] = 'localhost/build';
      p.spec.volumes!.push(
        { name: 'a', configMap: { name: 'c' } },
        { name: 'b', secret: { secretName: 's' } },
        { name: 'c', persistentVolumeClaim: { claimName: 'p' } },
        { name: 'd', projected: { sources: [] } },
        { name: 'e', downwardAPI: {} },
        { name: 'f', csi: { driver: 'x' } },
        { name: 'g', ephemeral: {} },
        { name: 'h' }, // the API server makes a volume with no source an emptyDir
      );
    });
    expect(checkPodSecurity(candidate, 'restricted')).toEqual([]);
  });

  it('lets containers rely on the pod for runAsNonRoot and seccomp, or set them themselves', () => {
    const candidate = pod((p) => {
      delete p.spec.securityContext!.runAsNonRoot;
      delete p.spec.securityContext!.seccompProfile;
      for (const container of [...p.spec.initContainers!, ...p.spec.containers])
        Object.assign(container.securityContext!, {
          runAsNonRoot: true,
          seccompProfile: { type: 'RuntimeDefault' },
        });
    });
    expect(checkPodSecurity(candidate, 'restricted')).toEqual([]);
  });

  it('names a container that sets runAsNonRoot false, not those that leave it to the pod', () => {
    const candidate = pod((p) => (p.spec.containers[1]!.securityContext!.runAsNonRoot = false));
    expect(paths(candidate, 'restricted')).toEqual(['spec.containers[1].securityContext.runAsNonRoot']);
  });

  it('exempts Windows pods from the seccomp, privilege-escalation and capability rules, as the standard does', () => {
    const candidate = pod((p) => {
      p.spec.os = { name: 'windows' };
      delete p.spec.securityContext!.seccompProfile;
      for (const container of p.spec.containers) container.securityContext = {};
      p.spec.initContainers = [];
    });
    expect(paths(candidate, 'restricted')).toEqual([]);
  });

  it('reads a field of the wrong type as unset, and never throws on a shape a podYaml can make', () => {
    const odd = { metadata: 5, spec: { containers: 'x', initContainers: [null, 7], volumes: {} } } as never;
    expect(() => checkPodSecurity(odd, 'restricted')).not.toThrow();
    expect(
      paths(
        pod((p) => (p.spec.hostNetwork = 'true' as never)),
        'baseline',
      ),
    ).toEqual([]);
  });
});

const config = (template: Record<string, unknown>, defaults = '') => `
cluster:
  namespace: agents
  credentials: { kind: kubeconfig, path: /tmp/kubeconfig }
sources:
  generic: { webhookSecret: { env: GENERIC_SECRET } }
${defaults}
templates:
  - { name: plain, source: generic, labels: [linux], image: busybox }
  - ${JSON.stringify({ name: 'dind', source: 'generic', labels: ['docker'], image: 'docker:dind', ...template })}
`;

const problemsOf = configProblemsOf;

describe('the config loader checks each template pod against its podSecurity level', () => {
  const privilegedSidecar =
    'spec:\n  containers:\n    - { name: docker, image: docker:dind, securityContext: { privileged: true } }\n';

  it('refuses a template whose pod breaks its level, naming the template and the field', () => {
    expect(problemsOf(config({ podYaml: privilegedSidecar }))).toEqual([
      'pitcrew.yaml: templates.1 (dind): its pod does not meet podSecurity "restricted": spec.containers[1].securityContext.privileged must not be true (allowed only with podSecurity: privileged; docs/configuration.md)',
      // A privileged container gets no allowPrivilegeEscalation default (the API server refuses the pair).
      'pitcrew.yaml: templates.1 (dind): its pod does not meet podSecurity "restricted": spec.containers[1].securityContext.allowPrivilegeEscalation must be false (allowed with podSecurity: baseline; docs/configuration.md)',
    ]);
    expect(problemsOf(config({ podYaml: privilegedSidecar, podSecurity: 'baseline' }))).toEqual([
      expect.stringContaining(
        'does not meet podSecurity "baseline": spec.containers[1].securityContext.privileged',
      ),
    ]);
  });

  it('gives a template only the check of the level it says', () => {
    expect(problemsOf(config({ podYaml: privilegedSidecar, podSecurity: 'privileged' }))).toEqual([]);
    const escalates =
      'spec:\n  initContainers:\n    - { name: setup, image: alpine, securityContext: { allowPrivilegeEscalation: true } }\n';
    expect(problemsOf(config({ podYaml: escalates, podSecurity: 'baseline' }))).toEqual([]);
    expect(problemsOf(config({ podYaml: escalates }))).toEqual([
      expect.stringContaining(
        'spec.initContainers[0].securityContext.allowPrivilegeEscalation must be false (allowed with podSecurity: baseline',
      ),
    ]);
  });

  it('checks the pod as rendered: template volumes, and every field podYaml changes', () => {
    expect(
      problemsOf(
        config({
          volumes: [{ name: 'sock', hostPath: { path: '/var/run/docker.sock' } }],
          volumeMounts: [{ name: 'sock', mountPath: '/var/run/docker.sock' }],
        }),
      ),
    ).toEqual([expect.stringContaining('spec.volumes[0].hostPath must not be used')]);
    expect(problemsOf(config({ podYaml: 'spec:\n  securityContext: { runAsUser: 0 }\n' }))).toEqual([
      expect.stringContaining('spec.securityContext.runAsUser must not be 0'),
    ]);
  });

  it('loads a template whose sidecars and init containers take the safe defaults', () => {
    const sidecars =
      'spec:\n  initContainers: [{ name: clone, image: alpine }]\n  containers: [{ name: cache, image: redis }]\n';
    expect(problemsOf(config({ podYaml: sidecars }))).toEqual([]);
  });

  it('refuses a podYaml that is not YAML for pod fields, never quoting it', () => {
    expect(problemsOf(config({ podYaml: 'spec: [unclosed' }))).toEqual([
      'pitcrew.yaml: templates.1.podYaml: is not valid YAML at line 1',
    ]);
    expect(problemsOf(config({ podYaml: 'just-a-word' }))).toEqual([
      'pitcrew.yaml: templates.1.podYaml: must be a YAML mapping of pod fields (such as "spec: {...}")',
    ]);
    expect(problemsOf(config({ podYaml: 'spec:\n  containers: 5\n' }))).toEqual([
      expect.stringMatching(/^pitcrew.yaml: templates.1.podYaml: does not merge into a pod: /),
    ]);
    expect(problemsOf(config({ podYaml: '# nothing yet\n' }))).toEqual([]);
  });

  it('refuses a podYaml that would let its pod outlive its bounds, naming each field', () => {
    const podYaml = [
      'metadata:',
      '  finalizers: [example.com/hold]',
      '  ownerReferences: [{ apiVersion: v1, kind: ConfigMap, name: keeper, uid: u-1 }]',
      'spec:',
      '  terminationGracePeriodSeconds: 86400',
    ].join('\n');
    expect(problemsOf(config({ podYaml }))).toEqual([
      'pitcrew.yaml: templates.1 (dind).podYaml.metadata.finalizers: must not be set: a finalizer keeps the pod Terminating after it is deleted, and its credential Secret with it, until something removes the finalizer (docs/configuration.md)',
      'pitcrew.yaml: templates.1 (dind).podYaml.metadata.ownerReferences: must not be set: an owner would decide when the pod goes (its deletion can take the pod mid-build, or wait on it); only Pitcrew ends an agent pod (docs/configuration.md)',
      'pitcrew.yaml: templates.1 (dind).podYaml.spec.terminationGracePeriodSeconds: must be a whole number of seconds from 0 to 30: a build that traps SIGTERM runs on for that long after its pod is deleted or reaches maxLifetimeSeconds (docs/configuration.md)',
    ]);
    const grace = (value: string) =>
      config({ podYaml: `spec:\n  terminationGracePeriodSeconds: ${value}\n` });
    expect(problemsOf(grace('31'))).toEqual([
      expect.stringContaining('terminationGracePeriodSeconds: must be'),
    ]);
    expect(problemsOf(grace('"10"'))).toEqual([
      expect.stringContaining('terminationGracePeriodSeconds: must be'),
    ]);
    expect(problemsOf(grace('30'))).toEqual([]);
    expect(problemsOf(grace('0'))).toEqual([]);
    expect(problemsOf(config({ podYaml: 'metadata: { finalizers: [], ownerReferences: null }\n' }))).toEqual(
      [],
    );
  });

  it('refuses a request above its limit, naming where the limit comes from', () => {
    expect(problemsOf(config({ resources: { requests: { memory: '4Gi' } } }))).toEqual([
      'pitcrew.yaml: templates.1.resources.requests.memory: 4Gi is above the limit 2Gi (from defaults.resources.limits); raise resources.limits.memory too',
    ]);
    expect(
      problemsOf(config({ resources: { requests: { memory: '4Gi' }, limits: { memory: '8Gi' } } })),
    ).toEqual([]);
  });

  it('refuses a token volume for an agent: a projected ServiceAccount token, or the provisioner token Secret', () => {
    const projected =
      'spec:\n  volumes:\n    - { name: t, projected: { sources: [{ serviceAccountToken: { path: token } }] } }\n';
    expect(problemsOf(config({ podYaml: projected }))).toEqual([
      expect.stringContaining('spec.volumes[0].projected projects a ServiceAccount token'),
    ]);
    expect(problemsOf(config({ podYaml: projected, serviceAccount: 'builder' }))).toEqual([]);
    const stolen = { volumes: [{ name: 't', secret: { secretName: 'pitcrew-provisioner-token' } }] };
    expect(problemsOf(config({ ...stolen, podSecurity: 'privileged' }))).toEqual([
      expect.stringContaining("mounts the provisioner's token Secret 'pitcrew-provisioner-token'"),
    ]);
  });
});
