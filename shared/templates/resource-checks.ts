import type { AgentTemplate, PitcrewConfig } from '../config/file-schema';
import type { V1Pod } from '@kubernetes/client-node';
import { agentContainerName } from './agent-container';
import { agentResources, type ResourceList } from './resources';

// Apart from resources.ts: the config checks use these, the functions only agentResources, and
// esbuild keeps every used export of a file that two chunks share in the chunk the cold start loads.

/**
 * A request above its limit, which the API server refuses (422) at every build: likely once a template
 * raises a request and keeps the default limit. Each names the field to set and where the limit is from.
 */
export function resourceProblems(
  template: Pick<AgentTemplate, 'resources'>,
  defaults: PitcrewConfig['defaults'],
): { readonly field: string; readonly problem: string }[] {
  const { requests = {}, limits = {} } = agentResources(template, defaults);
  const problems: { field: string; problem: string }[] = [];
  for (const [name, request] of Object.entries(requests)) {
    const limit = limits[name];
    if (limit === undefined) continue;
    const [requested, allowed] = [quantityValue(request), quantityValue(limit)];
    if (requested === undefined || allowed === undefined || requested <= allowed) continue;
    const limitFrom =
      template.resources?.limits?.[name as keyof ResourceList] !== undefined
        ? 'its resources.limits'
        : 'defaults.resources.limits';
    problems.push({
      field: `resources.requests.${name}`,
      problem: `${request} is above the limit ${limit} (from ${limitFrom}); raise resources.limits.${name} too`,
    });
  }
  return problems;
}

const suffixes: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * A Kubernetes quantity ("500m", "1Gi", "1.5", "2e3") as a number, close enough to compare two; undefined
 * for a form this does not know (then the API server judges it).
 * https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
 */
export function quantityValue(quantity: string): number | undefined {
  const match = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:[eE]([+-]?\d+)|([a-zA-Z]*))$/.exec(quantity);
  if (!match) return undefined;
  const [, number, exponent, suffix = ''] = match;
  const scale = exponent !== undefined ? 10 ** Number(exponent) : suffixes[suffix];
  return scale === undefined ? undefined : Number(number) * scale;
}

/**
 * The limits no agent runs without (docs/configuration.md): a podYaml can set the agent container's
 * `resources` or `limits` to null, which the merge takes as "remove", and the build could then fill
 * the node's memory or disk. Checked on the pod as rendered, whatever removed them.
 */
export function agentLimitProblems(pod: V1Pod): string[] {
  const agent = pod.spec?.containers.find((container) => container.name === agentContainerName);
  const limits: Record<string, unknown> = agent?.resources?.limits ?? {};
  return ['memory', 'ephemeral-storage']
    .filter((name) => limits[name] == null)
    .map(
      (name) =>
        `the agent container has no ${name} limit: an agent runs untrusted builds, which could then fill the node's ${name === 'memory' ? 'memory' : 'disk'} (a podYaml must not remove resources.limits.${name})`,
    );
}
