import type { V1ResourceRequirements } from '@kubernetes/client-node';
import type { AgentTemplate, PitcrewConfig } from '../config/file-schema';

type Resources = NonNullable<AgentTemplate['resources']>;
export type ResourceList = NonNullable<Resources['requests']>;

/**
 * The agent container's requests and limits: the template's over `defaults.resources`, field by
 * field, so a template that sets only `requests.cpu` keeps the default memory and ephemeral-storage
 * requests and limits (a build that fills the node's disk or memory is evicted alone).
 */
export function agentResources(
  template: Pick<AgentTemplate, 'resources'>,
  defaults: PitcrewConfig['defaults'],
): V1ResourceRequirements {
  const requests = quantities({ ...defaults.resources.requests, ...template.resources?.requests });
  const limits = quantities({ ...defaults.resources.limits, ...template.resources?.limits });
  return {
    ...(Object.keys(requests).length > 0 ? { requests } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
  };
}

const quantities = (list: ResourceList): Record<string, string> =>
  Object.fromEntries(
    Object.entries(list)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name, String(value)]),
  );
