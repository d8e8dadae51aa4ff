import type { V1Container, V1Pod, V1Secret, V1SecurityContext } from '@kubernetes/client-node';
import { parseYamlText } from '../config/yaml-text';
import type { AgentTemplate, PitcrewConfig } from '../config/file-schema';
import type { CiModule } from '../sources/module';
import type { CiSource } from '../sources/names';
import { ciModuleOf } from '../sources/registry';
import { agentContainerName } from './agent-container';
import { managedByValue, pitcrewLabels } from './labels';
import { mergePodOverlay } from './merge';
import { lifetimeBounds, withoutLifetimeMetadata } from './pod-lifetime';
import { agentResources } from './resources';

/** The image and command used when a template names none: its CI module's `podDefaults`. */
const sourceDefaults = (source: CiSource): CiModule['podDefaults'] => ciModuleOf(source).podDefaults;

/**
 * The user the source's default image is built for, when the agent runs an image of that
 * repository (any tag or digest): another image (a runner image of your own) runs as
 * `defaults.runAsUser`. A registry with a port never matches, which only leaves such an image to
 * the default user.
 */
function imageUser(source: CiSource, image = ''): number | undefined {
  const { image: defaultImage = '', runAsUser } = sourceDefaults(source);
  return image.split(/[:@]/)[0] === defaultImage.split(':')[0] ? runAsUser : undefined;
}

export interface AgentPodInput {
  readonly template: AgentTemplate;
  readonly defaults: PitcrewConfig['defaults'];
  readonly namespace: string;
  readonly podName: string;
  readonly requestId: string;
  /** Non-secret agent settings (JENKINS_URL, RUNNER_NAME ...). */
  readonly agentEnv: Readonly<Record<string, string>>;
  /** The CI's env that the template's own may override (AgentCredentials.envDefaults). */
  readonly agentEnvDefaults?: Readonly<Record<string, string>>;
}

export const agentSecretNameFor = (podName: string): string => podName;

/**
 * The pod for one build. Safe defaults on every pod (the "restricted" Pod Security Standard):
 * runAsNonRoot, seccomp RuntimeDefault, no privilege escalation, all capabilities dropped, no
 * ServiceAccount token unless the template names a ServiceAccount. Credentials come only from the
 * agent Secret (envFrom), never from the spec. The template's `podYaml` is merged on top (merge.ts),
 * then Pitcrew's identity fields are set again so no overlay can change the name, namespace,
 * labels, restart policy or where credentials come from, nor make the pod outlive the template's
 * `maxLifetimeSeconds` by more than a 30 s grace period or block its deletion (pod-lifetime.ts).
 * The config loader checked the result against the template's `podSecurity`.
 */
export function renderAgentPod(input: AgentPodInput): V1Pod {
  const { template, defaults } = input;
  const image = template.image ?? sourceDefaults(template.source).image;
  const command = template.command ?? sourceDefaults(template.source).command;
  const labels = {
    [pitcrewLabels.managedBy]: managedByValue,
    [pitcrewLabels.requestId]: input.requestId,
    [pitcrewLabels.template]: template.name,
    [pitcrewLabels.source]: template.source,
  };
  const env = { ...literalEnv(input.agentEnvDefaults), ...template.env, ...literalEnv(input.agentEnv) };
  const generated: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: input.podName, namespace: input.namespace, labels },
    spec: {
      restartPolicy: 'Never',
      activeDeadlineSeconds: template.maxLifetimeSeconds,
      automountServiceAccountToken: template.serviceAccount !== undefined,
      ...(template.serviceAccount ? { serviceAccountName: template.serviceAccount } : {}),
      securityContext: {
        runAsNonRoot: true,
        runAsUser: template.runAsUser ?? imageUser(template.source, image) ?? defaults.runAsUser,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      ...(template.nodeSelector ? { nodeSelector: template.nodeSelector } : {}),
      ...(template.tolerations ? { tolerations: template.tolerations } : {}),
      ...(template.volumes ? { volumes: template.volumes } : {}),
      containers: [
        {
          name: agentContainerName,
          image,
          ...(command ? { command: [...command] } : {}),
          ...(template.args ? { args: template.args } : {}),
          env: Object.entries(env).map(([name, value]) => ({ name, value })),
          resources: agentResources(template, defaults),
          ...(template.volumeMounts ? { volumeMounts: template.volumeMounts } : {}),
        },
      ],
    },
  } as V1Pod;
  // A podYaml of only comments parses to null: no overlay. The config loader refuses one that is not
  // a mapping (template-checks.ts), so `merged` is a pod.
  const overlay: unknown = template.podYaml ? parseYamlText(template.podYaml) : undefined;
  const merged = (overlay == null ? generated : mergePodOverlay(generated, overlay)) as V1Pod;
  return enforceIdentity(withSafeContainers(merged), input, labels);
}

/**
 * The env values Pitcrew sets, as the agent must read them: Kubernetes expands `$(NAME)` in an env
 * value and turns `$$` into `$`
 * (https://kubernetes.io/docs/tasks/inject-data-application/define-interdependent-environment-variables/),
 * so each `$` is doubled. A generic build's job id comes from its delivery and may hold either. A
 * template's own env is left as written: its author may mean `$(NAME)`.
 */
const literalEnv = (values: Readonly<Record<string, string>> | undefined): Record<string, string> =>
  Object.fromEntries(
    Object.entries(values ?? {}).map(([name, value]) => [name, value.replaceAll('$', () => '$$')]),
  );

/**
 * What every container gets unless the template says otherwise: the "restricted" standard's needs.
 * A container the template makes privileged (Docker-in-Docker, under `podSecurity: privileged`) is
 * not given `allowPrivilegeEscalation: false`, which the API server refuses beside `privileged: true`.
 */
const safeContainerContext = (privileged: boolean): V1SecurityContext => ({
  ...(privileged ? {} : { allowPrivilegeEscalation: false }),
  privileged: false,
  capabilities: { drop: ['ALL'] },
});

/**
 * Every container, the agent and those a template adds through podYaml (a sidecar, a clone step),
 * gets the safe defaults field by field (merged as podYaml merges: `capabilities.add` keeps the
 * default `drop: [ALL]`) wherever the template set none, so a pod with them passes the "restricted"
 * Pod Security Standard. A template that sets a field itself keeps it, and the config loader checks
 * the result against the template's `podSecurity` (template-checks.ts).
 */
function withSafeContainers(pod: V1Pod): V1Pod {
  const safe = (container: V1Container): V1Container => {
    const own: unknown = container.securityContext;
    const isSet = typeof own === 'object' && own !== null && !Array.isArray(own);
    const defaults = safeContainerContext(isSet && (own as V1SecurityContext).privileged === true);
    return {
      ...container,
      securityContext: isSet ? (mergePodOverlay(defaults, own) as V1SecurityContext) : defaults,
    };
  };
  if (!pod.spec) return pod;
  return {
    ...pod,
    spec: {
      ...pod.spec,
      containers: pod.spec.containers.map(safe),
      ...(pod.spec.initContainers ? { initContainers: pod.spec.initContainers.map(safe) } : {}),
    },
  };
}

function enforceIdentity(pod: V1Pod, input: AgentPodInput, labels: Record<string, string>): V1Pod {
  const containers = (pod.spec?.containers ?? []).map((container) =>
    container.name === agentContainerName
      ? { ...container, envFrom: [{ secretRef: { name: agentSecretNameFor(input.podName) } }] }
      : container,
  );
  // The pod's identity is the template's alone: podYaml can neither name an account (nor the
  // deprecated `serviceAccount` alias) nor mount a token the template did not ask for.
  const { serviceAccount: _alias, serviceAccountName: _named, ...spec } = pod.spec ?? { containers: [] };
  const account = input.template.serviceAccount;
  return {
    ...pod,
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      // The pod's end is Pitcrew's: no finalizer or owner from podYaml. The config loader refuses
      // both (lifetime-checks.ts); this holds a compiled config from before that check too.
      ...withoutLifetimeMetadata(pod.metadata ?? {}),
      name: input.podName,
      namespace: input.namespace,
      labels: { ...pod.metadata?.labels, ...labels },
    },
    spec: {
      ...spec,
      restartPolicy: 'Never',
      // podYaml may shorten the pod's deadline and grace period, never lengthen them.
      ...lifetimeBounds(spec, input.template.maxLifetimeSeconds),
      containers,
      automountServiceAccountToken: account !== undefined,
      ...(account === undefined ? {} : { serviceAccountName: account }),
    },
  };
}

/** The Secret the agent reads its credentials from, owned by its pod so it goes when the pod goes. */
export function renderAgentSecret(input: {
  readonly namespace: string;
  readonly podName: string;
  readonly podUid: string;
  readonly requestId: string;
  readonly secretEnv: Readonly<Record<string, string>>;
}): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: agentSecretNameFor(input.podName),
      namespace: input.namespace,
      labels: { [pitcrewLabels.managedBy]: managedByValue, [pitcrewLabels.requestId]: input.requestId },
      // No blockOwnerDeletion: garbage collection does not need it, and where the
      // OwnerReferencesPermissionEnforcement admission plugin runs (OpenShift) setting it would need
      // `update` on pods/finalizers, which the provisioner's Role does not grant.
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: input.podName, uid: input.podUid }],
    },
    stringData: { ...input.secretEnv },
  };
}
