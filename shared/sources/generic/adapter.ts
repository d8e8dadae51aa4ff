import type { AgentCredentials, CiSourceAdapter } from '../types';

export interface GenericSourceOptions {
  /**
   * A static token handed to every generic agent as PITCREW_AGENT_TOKEN (in a Secret), if the CI needs
   * one; read when an agent is made, so only provision reads it.
   */
  readonly agentToken?: () => string;
}

/** Any CI, through the documented contract in contract.ts. It has no agent registry to talk to. */
export function createGenericSource(options: GenericSourceOptions = {}): CiSourceAdapter {
  return {
    name: 'generic',
    async createAgentCredentials(request): Promise<AgentCredentials> {
      return {
        secretEnv: options.agentToken ? { PITCREW_AGENT_TOKEN: options.agentToken() } : {},
        // The job it is made for (`job.id` as sent): the agent runs that one build and exits
        // (docs/generic-webhook.md, "The agent"), as Buildkite's --acquire-job binds its agents.
        env: {
          PITCREW_AGENT_NAME: request.agentName,
          PITCREW_REQUEST_ID: request.requestId,
          ...(request.jobKey === undefined ? {} : { PITCREW_JOB_ID: request.jobKey }),
        },
      };
    },
    async deregisterAgent(): Promise<void> {
      // Nothing registered at the CI: the pod is the whole agent.
    },
  };
}
