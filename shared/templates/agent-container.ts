/**
 * The name of the container that runs the agent in every agent pod; a template's podYaml merges into
 * it by this name, and the reaper finds the agent's status by it. A module of its own so the reaper
 * reads the name without loading the pod renderer.
 */
export const agentContainerName = 'agent';
