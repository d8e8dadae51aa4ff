import type { V1Pod } from '@kubernetes/client-node';

/**
 * The Kubernetes Pod Security Standards, as the API server's PodSecurity admission applies them at
 * version "latest" of Kubernetes 1.34 (https://kubernetes.io/docs/concepts/security/pod-security-standards/,
 * k8s.io/pod-security-admission/policy). Pure: judges a pod spec, so a template is refused at config
 * load for what the namespace would refuse at every build. Every container is judged: containers,
 * initContainers and ephemeralContainers.
 *
 * Not followed: the relaxation for pods in a user namespace (`hostUsers: false`), which sits behind
 * the UserNamespacesPodSecurityStandards feature gate, off by default; this checker stays stricter.
 */
export const podSecurityLevels = ['privileged', 'baseline', 'restricted'] as const;
export type PodSecurityLevel = (typeof podSecurityLevels)[number];

export interface PodSecurityViolation {
  /** The field, as the API server names it: `spec.initContainers[0].securityContext.privileged`. */
  readonly path: string;
  /** What the standard wants of it: "must not be true". */
  readonly problem: string;
  /** The lowest level that forbids it: a `baseline` violation is one of `restricted` too. */
  readonly level: 'baseline' | 'restricted';
}

/** Every way `pod` breaks `level` (none for `privileged`), each with its field path. */
export function checkPodSecurity(pod: V1Pod, level: PodSecurityLevel): PodSecurityViolation[] {
  if (level === 'privileged') return [];
  const view = podView(pod);
  const violations = baselineViolations(view, level === 'restricted');
  if (level === 'restricted') violations.push(...restrictedViolations(view));
  return violations;
}

/** `capabilities.add` values the baseline level allows. */
const baselineCapabilities = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
const safeSysctls = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
]);
const seLinuxTypes = new Set([
  '',
  'container_t',
  'container_init_t',
  'container_kvm_t',
  'container_engine_t',
]);
const profileTypes = new Set(['RuntimeDefault', 'Localhost']);
/** Volume sources the restricted level allows; a volume with no source is defaulted to emptyDir. */
const restrictedVolumeSources = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);
const appArmorAnnotationPrefix = 'container.apparmor.security.beta.kubernetes.io/';

type Fields = Record<string, unknown>;
interface ContainerView {
  readonly path: string;
  readonly name: string;
  readonly fields: Fields;
  readonly context: Fields;
}
interface PodView {
  readonly annotations: Fields;
  readonly spec: Fields;
  readonly context: Fields;
  readonly containers: readonly ContainerView[];
  readonly windows: boolean;
}

// A template's podYaml can put anything anywhere: a field of the wrong type is read as unset (the API
// server refuses such a pod when it decodes it, before admission).
const fieldsOf = (value: unknown): Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : {};
const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const isSet = (value: unknown): boolean => value !== undefined && value !== null;
const quote = (value: unknown): string => JSON.stringify(value) ?? String(value);

function podView(pod: V1Pod): PodView {
  const root = fieldsOf(pod);
  const spec = fieldsOf(root.spec);
  const containers = (['initContainers', 'containers', 'ephemeralContainers'] as const).flatMap((kind) =>
    listOf(spec[kind]).map((item, index): ContainerView => {
      const fields = fieldsOf(item);
      return {
        path: `spec.${kind}[${index}]`,
        name: typeof fields.name === 'string' ? fields.name : '',
        fields,
        context: fieldsOf(fields.securityContext),
      };
    }),
  );
  return {
    annotations: fieldsOf(fieldsOf(root.metadata).annotations),
    spec,
    context: fieldsOf(spec.securityContext),
    containers,
    windows: fieldsOf(spec.os).name === 'windows',
  };
}

/**
 * The baseline checks. At `restricted` the three that a stricter restricted check replaces (volumes,
 * capabilities, seccomp) are left to it, as the admission controller does, so no field is named twice.
 */
function baselineViolations(pod: PodView, restricted: boolean): PodSecurityViolation[] {
  const found: PodSecurityViolation[] = [];
  const add = (path: string, problem: string): void => {
    found.push({ path, problem, level: 'baseline' });
  };
  const contexts = [
    { path: 'spec.securityContext', context: pod.context },
    ...pod.containers.map((container) => ({
      path: `${container.path}.securityContext`,
      context: container.context,
    })),
  ];

  for (const namespace of ['hostNetwork', 'hostPID', 'hostIPC'])
    if (pod.spec[namespace] === true) add(`spec.${namespace}`, 'must not be true');
  for (const { path, context } of contexts) {
    if (fieldsOf(context.windowsOptions).hostProcess === true)
      add(`${path}.windowsOptions.hostProcess`, 'must not be true');
    const appArmor = context.appArmorProfile;
    if (isSet(appArmor) && !profileTypes.has(String(fieldsOf(appArmor).type)))
      add(`${path}.appArmorProfile.type`, 'must be RuntimeDefault or Localhost');
    if (isSet(context.seLinuxOptions))
      seLinuxViolations(`${path}.seLinuxOptions`, context.seLinuxOptions, add);
    const seccomp = context.seccompProfile;
    if (!restricted && isSet(seccomp) && !profileTypes.has(String(fieldsOf(seccomp).type)))
      add(`${path}.seccompProfile.type`, 'must be RuntimeDefault or Localhost');
  }
  for (const container of pod.containers) {
    const { path, context } = container;
    if (context.privileged === true) add(`${path}.securityContext.privileged`, 'must not be true');
    if (!restricted)
      listOf(fieldsOf(context.capabilities).add).forEach((capability, index) => {
        if (!baselineCapabilities.has(String(capability)))
          add(
            `${path}.securityContext.capabilities.add[${index}]`,
            `must not add ${String(capability)} (baseline allows only the container runtime's default capabilities)`,
          );
      });
    if (isSet(context.procMount) && context.procMount !== 'Default')
      add(`${path}.securityContext.procMount`, 'must be Default');
    listOf(container.fields.ports).forEach((port, index) => {
      const hostPort = fieldsOf(port).hostPort;
      if (isSet(hostPort) && hostPort !== 0) add(`${path}.ports[${index}].hostPort`, 'must not be set');
    });
    hostProbeViolations(container, add);
  }
  if (!restricted)
    listOf(pod.spec.volumes).forEach((volume, index) => {
      if (isSet(fieldsOf(volume).hostPath)) add(`spec.volumes[${index}].hostPath`, 'must not be used');
    });
  for (const [key, value] of Object.entries(pod.annotations)) {
    const profile = String(value);
    if (
      key.startsWith(appArmorAnnotationPrefix) &&
      profile !== '' &&
      profile !== 'runtime/default' &&
      !profile.startsWith('localhost/')
    )
      add(`metadata.annotations[${quote(key)}]`, 'must be runtime/default or localhost/<profile>');
  }
  listOf(pod.context.sysctls).forEach((sysctl, index) => {
    const name = fieldsOf(sysctl).name;
    if (!safeSysctls.has(String(name)))
      add(`spec.securityContext.sysctls[${index}].name`, `${quote(name)} is not a safe sysctl`);
  });
  return found;
}

function seLinuxViolations(path: string, value: unknown, add: (path: string, problem: string) => void): void {
  const options = fieldsOf(value);
  if (!seLinuxTypes.has(String(options.type ?? '')))
    add(
      `${path}.type`,
      'must be unset, container_t, container_init_t, container_kvm_t or container_engine_t',
    );
  if (isSet(options.user) && options.user !== '') add(`${path}.user`, 'must not be set');
  if (isSet(options.role) && options.role !== '') add(`${path}.role`, 'must not be set');
}

/** Probes and lifecycle handlers must not reach another host (`host` set): a check since 1.34. */
function hostProbeViolations(container: ContainerView, add: (path: string, problem: string) => void): void {
  const handlers: [string, unknown][] = [
    ['livenessProbe', container.fields.livenessProbe],
    ['readinessProbe', container.fields.readinessProbe],
    ['startupProbe', container.fields.startupProbe],
    ['lifecycle.postStart', fieldsOf(container.fields.lifecycle).postStart],
    ['lifecycle.preStop', fieldsOf(container.fields.lifecycle).preStop],
  ];
  for (const [name, handler] of handlers)
    for (const action of ['httpGet', 'tcpSocket']) {
      const host = fieldsOf(fieldsOf(handler)[action]).host;
      if (isSet(host) && host !== '') add(`${container.path}.${name}.${action}.host`, 'must not be set');
    }
}

function restrictedViolations(pod: PodView): PodSecurityViolation[] {
  const found: PodSecurityViolation[] = [];
  const add = (path: string, problem: string): void => {
    found.push({ path, problem, level: 'restricted' });
  };
  listOf(pod.spec.volumes).forEach((volume, index) => {
    const sources = Object.entries(fieldsOf(volume))
      .filter(([key, value]) => key !== 'name' && isSet(value))
      .map(([key]) => key);
    // No source at all: the API server makes it an emptyDir.
    const [source] = sources;
    if (source === undefined || sources.some((key) => restrictedVolumeSources.has(key))) return;
    add(
      `spec.volumes[${index}].${source}`,
      'must not be used (restricted allows configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret volumes)',
    );
  });
  nonRootViolations(pod, add);
  if (pod.context.runAsUser === 0) add('spec.securityContext.runAsUser', 'must not be 0');
  for (const { path, context } of pod.containers)
    if (context.runAsUser === 0) add(`${path}.securityContext.runAsUser`, 'must not be 0');
  // Windows pods cannot set these; the standard exempts them (pod.spec.os.name: windows).
  if (pod.windows) return found;
  seccompViolations(pod, add);
  for (const { path, context } of pod.containers) {
    if (context.allowPrivilegeEscalation !== false)
      add(`${path}.securityContext.allowPrivilegeEscalation`, 'must be false');
    const capabilities = fieldsOf(context.capabilities);
    if (!listOf(capabilities.drop).includes('ALL'))
      add(`${path}.securityContext.capabilities.drop`, 'must include ALL');
    listOf(capabilities.add).forEach((capability, index) => {
      if (capability !== 'NET_BIND_SERVICE')
        add(
          `${path}.securityContext.capabilities.add[${index}]`,
          `must not add ${String(capability)} (restricted allows only NET_BIND_SERVICE)`,
        );
    });
  }
  return found;
}

/**
 * runAsNonRoot must be true on the pod, or on every container. As the admission controller does,
 * a container that leaves it unset is named only when nothing set it to false outright.
 */
function nonRootViolations(pod: PodView, add: (path: string, problem: string) => void): void {
  const explicit: string[] = [];
  if (pod.context.runAsNonRoot === false) explicit.push('spec.securityContext.runAsNonRoot');
  const implicit: string[] = [];
  for (const { path, context } of pod.containers) {
    if (context.runAsNonRoot === false) explicit.push(`${path}.securityContext.runAsNonRoot`);
    else if (context.runAsNonRoot !== true && pod.context.runAsNonRoot !== true)
      implicit.push(`${path}.securityContext.runAsNonRoot`);
  }
  for (const path of explicit) add(path, 'must not be false');
  if (explicit.length === 0)
    for (const path of implicit) add(path, 'must be true (or spec.securityContext.runAsNonRoot true)');
}

/** seccompProfile.type must be RuntimeDefault or Localhost, on the pod or on every container. */
function seccompViolations(pod: PodView, add: (path: string, problem: string) => void): void {
  const valid = (profile: unknown): boolean => profileTypes.has(String(fieldsOf(profile).type));
  const podProfile = pod.context.seccompProfile;
  const explicit: string[] = [];
  if (isSet(podProfile) && !valid(podProfile)) explicit.push('spec.securityContext.seccompProfile.type');
  const implicit: string[] = [];
  for (const { path, context } of pod.containers) {
    if (isSet(context.seccompProfile)) {
      if (!valid(context.seccompProfile)) explicit.push(`${path}.securityContext.seccompProfile.type`);
    } else if (!isSet(podProfile) || !valid(podProfile)) {
      implicit.push(`${path}.securityContext.seccompProfile.type`);
    }
  }
  for (const path of explicit) add(path, 'must be RuntimeDefault or Localhost');
  if (explicit.length === 0)
    for (const path of implicit)
      add(path, 'must be RuntimeDefault or Localhost (or set spec.securityContext.seccompProfile)');
}
