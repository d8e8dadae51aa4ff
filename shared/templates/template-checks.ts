import type { V1Pod, V1Volume } from '@kubernetes/client-node';
import { parseWrittenText, yamlTextProblem } from '../config/written-text';
import type { AgentTemplate, PitcrewConfig } from '../config/file-schema';
import { podNameFor } from '../requests/identity';
import { renderAgentPod } from './pod';
import { lifetimeProblems } from './lifetime-checks';
import { podFieldProblems } from './pod-fields';
import { checkPodSecurity, type PodSecurityViolation } from './pod-security';
import { agentLimitProblems, resourceProblems } from './resource-checks';
import { messageOf } from '../message-of';

/** One problem with one template: the key under `templates` (`templates.1.podYaml`) and what is wrong. */
export interface TemplateProblem {
  readonly key: string;
  readonly problem: string;
}

/** What rendering a template's pod needs of the config. */
type RenderConfig = Pick<PitcrewConfig, 'defaults'> & {
  readonly cluster: Pick<PitcrewConfig['cluster'], 'namespace'>;
};
type CheckedConfig = Pick<PitcrewConfig, 'defaults' | 'templates'> & {
  readonly cluster: Pick<PitcrewConfig['cluster'], 'namespace'> &
    Partial<Pick<PitcrewConfig['cluster'], 'provisionerServiceAccount'>>;
};

/**
 * The pod a template makes, rendered as the provisioner renders it (defaults, podYaml merged,
 * sidecars and init containers included) for a build with placeholder identity: the name, request id
 * and agent settings of a real build change no security field.
 */
export function renderTemplatePod(template: AgentTemplate, config: RenderConfig): V1Pod {
  const requestId = `${template.source}-00000000000000000000`;
  return renderAgentPod({
    template,
    defaults: config.defaults,
    namespace: config.cluster.namespace,
    podName: podNameFor(template.name, requestId),
    requestId,
    agentEnv: {},
  });
}

/**
 * What the schema cannot see in the templates, checked once at config load so a bad template stops
 * the functions at cold start (and `npm run package`) instead of failing every build: a podYaml that
 * is not a pod's fields or would let its pod outlive its bounds, a request above its limit, and a pod
 * that does not meet the template's `podSecurity` level (each field named).
 */
export function checkTemplates(config: CheckedConfig): TemplateProblem[] {
  return config.templates.flatMap((template, index) => {
    const key = `templates.${index}`;
    const podYaml = readPodYaml(template.podYaml);
    if ('problem' in podYaml) return [{ key: `${key}.podYaml`, problem: podYaml.problem }];
    const problems: TemplateProblem[] = [
      ...resourceProblems(template, config.defaults).map(({ field, problem }) => ({
        key: `${key}.${field}`,
        problem,
      })),
      ...lifetimeProblems(podYaml.overlay).map(({ field, problem }) => ({
        key: `${key} (${template.name}).podYaml.${field}`,
        problem,
      })),
    ];
    let pod: V1Pod;
    try {
      pod = renderTemplatePod(template, config);
    } catch (error) {
      const reason = messageOf(error);
      return [...problems, { key: `${key}.podYaml`, problem: `does not merge into a pod: ${reason}` }];
    }
    const ofTemplate = (problem: string): TemplateProblem => ({ key: `${key} (${template.name})`, problem });
    // The checks below read the pod as a pod: one of another shape (`volumes: 5`) is refused first.
    const shape = podFieldProblems(pod).map((problem) => ofTemplate(`its pod's ${problem}`));
    if (shape.length > 0) return [...problems, ...shape];
    const violations = checkPodSecurity(pod, template.podSecurity);
    return [
      ...problems,
      ...[...agentLimitProblems(pod), ...tokenVolumeProblems(pod, template, config)].map(ofTemplate),
      ...violations.map((violation) => ({
        key: `${key} (${template.name})`,
        problem: describeViolation(template.podSecurity, violation),
      })),
    ];
  });
}

/**
 * A ServiceAccount token reaches a pod by automount (which the pod renderer sets from the template
 * alone) or by a volume: a projected `serviceAccountToken`, or the provisioner's token Secret. An
 * agent is untrusted, so neither volume is allowed unless the template names an account of its own
 * (whose token it then mounts by automount anyway).
 */
function tokenVolumeProblems(pod: V1Pod, template: AgentTemplate, config: CheckedConfig): string[] {
  const provisioner = config.cluster.provisionerServiceAccount?.name ?? 'pitcrew-provisioner';
  // Read as a podYaml may write it: a null item, a number where a name goes (`secretName: 2024`).
  return (pod.spec?.volumes ?? []).flatMap((volume: V1Volume | null, index) => {
    const field = `spec.volumes[${index}]`;
    const sources: unknown[] = volume?.projected?.sources ?? [];
    const projectsToken = sources.some(
      (source) => typeof source === 'object' && source !== null && 'serviceAccountToken' in source,
    );
    if (projectsToken && template.serviceAccount === undefined)
      return [
        `${field}.projected projects a ServiceAccount token, which an agent may not hold unless the template names its own serviceAccount`,
      ];
    const secret = String(volume?.secret?.secretName ?? '');
    if (secret.startsWith(`${provisioner}-token`))
      return [
        `${field}.secret mounts the provisioner's token Secret '${secret}': an agent holding it could read every agent's credentials`,
      ];
    return [];
  });
}

/** A podYaml parsed (a mapping, or null for none), or why it cannot be merged over a pod; never quotes it. */
function readPodYaml(podYaml: string | undefined): { overlay: unknown } | { problem: string } {
  if (podYaml === undefined) return { overlay: null };
  let overlay: unknown;
  try {
    overlay = parseWrittenText(podYaml);
  } catch (error) {
    return { problem: yamlTextProblem(error) };
  }
  if (overlay === null || (typeof overlay === 'object' && !Array.isArray(overlay))) return { overlay };
  return { problem: 'must be a YAML mapping of pod fields (such as "spec: {...}")' };
}

function describeViolation(level: AgentTemplate['podSecurity'], violation: PodSecurityViolation): string {
  const allowedWith =
    violation.level === 'restricted'
      ? 'allowed with podSecurity: baseline'
      : 'allowed only with podSecurity: privileged';
  return `its pod does not meet podSecurity "${level}": ${violation.path} ${violation.problem} (${allowedWith}; docs/configuration.md)`;
}
