import type { V1Pod, V1Secret } from '@kubernetes/client-node';
import { parse } from 'yaml';
import type { AgentTemplate, PitcrewConfig } from '../config/file-schema';
import type { CiSource } from '../sources/names';
import { managedByValue, pitcrewLabels } from './labels';
import { mergePodOverlay } from './merge';

/** Images and commands used when a template names none. */
const sourceDefaults: Record<CiSource, { image?: string; command?: string[] }> = {
  jenkins: { image: 'jenkins/inbound-agent:latest' },
  // The runner reads ACTIONS_RUNNER_INPUT_JITCONFIG, as actions-runner-controller starts it.
  github: { image: 'ghcr.io/actions/actions-runner:latest', command: ['/home/runner/run.sh'] },
  generic: {},
};

export interface AgentPodInput {
  readonly template: AgentTemplate;
  readonly defaults: PitcrewConfig['defaults'];
  readonly namespace: string;
  readonly podName: string;
  readonly requestId: string;
  /** Non-secret agent settings (JENKINS_URL, RUNNER_NAME ...). */
  readonly agentEnv: Readonly<Record<string, string>>;
}

export const agentContainerName = 'agent';
export const agentSecretNameFor = (podName: string): string => podName;

/**
 * The pod for one build. Safe defaults on every pod (the "restricted" Pod Security Standard):
 * runAsNonRoot, seccomp RuntimeDefault, no privilege escalation, all capabilities dropped, no
 * ServiceAccount token unless the template names a ServiceAccount. Credentials come only from the
 * agent Secret (envFrom), never from the spec. The template's `podYaml` is merged on top (merge.ts),
 * then Pitcrew's identity fields are set again so no overlay can change the name, namespace,
 * labels, restart policy or where credentials come from.
 */
export function renderAgentPod(input: AgentPodInput): V1Pod {
  const { template, defaults } = input;
  const image = template.image ?? sourceDefaults[template.source].image;
  const labels = {
    [pitcrewLabels.managedBy]: managedByValue,
    [pitcrewLabels.requestId]: input.requestId,
    [pitcrewLabels.template]: template.name,
    [pitcrewLabels.source]: template.source,
  };
  const env = { ...template.env, ...input.agentEnv };
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
        runAsUser: defaults.runAsUser,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      ...(template.nodeSelector ? { nodeSelector: template.nodeSelector } : {}),
      ...(template.tolerations ? { tolerations: template.tolerations } : {}),
      ...(template.volumes ? { volumes: template.volumes } : {}),
      containers: [
        {
          name: agentContainerName,
          image,
          ...((template.command ?? sourceDefaults[template.source].command)
            ? { command: template.command ?? sourceDefaults[template.source].command }
            : {}),
          ...(template.args ? { args: template.args } : {}),
          env: Object.entries(env).map(([name, value]) => ({ name, value })),
          resources: template.resources ?? defaults.resources,
          securityContext: {
            allowPrivilegeEscalation: false,
            privileged: false,
            capabilities: { drop: ['ALL'] },
          },
          ...(template.volumeMounts ? { volumeMounts: template.volumeMounts } : {}),
        },
      ],
    },
  } as V1Pod;
  const merged = (
    template.podYaml ? mergePodOverlay(generated, parse(template.podYaml)) : generated
  ) as V1Pod;
  return enforceIdentity(merged, input, labels);
}

function enforceIdentity(pod: V1Pod, input: AgentPodInput, labels: Record<string, string>): V1Pod {
  const containers = (pod.spec?.containers ?? []).map((container) =>
    container.name === agentContainerName
      ? { ...container, envFrom: [{ secretRef: { name: agentSecretNameFor(input.podName) } }] }
      : container,
  );
  return {
    ...pod,
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...pod.metadata,
      name: input.podName,
      namespace: input.namespace,
      labels: { ...pod.metadata?.labels, ...labels },
    },
    spec: { ...pod.spec, restartPolicy: 'Never', containers },
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
