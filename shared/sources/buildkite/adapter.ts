import { parseDetails } from '../details';
import type { AgentCredentials, AgentRequest, CiSourceAdapter } from '../types';
import {
  buildkiteAdapterCalls,
  parseBuildkiteAdapterOptions,
  type BuildkiteAdapterSettings,
  type BuildkiteSourceOptions,
} from './adapter-settings';
import { type AgentApi, findConnectedAgents, stopAgent } from './agents';
import { createBuildkiteFetch } from './api';
import { buildkiteModule } from './module';

/**
 * The agent's settings, each the environment twin of a `buildkite-agent start` flag
 * (https://buildkite.com/docs/agent/v3/cli-start): its token, name, tags and the one job it acquires.
 */
export const agentEnv = {
  token: 'BUILDKITE_AGENT_TOKEN',
  name: 'BUILDKITE_AGENT_NAME',
  tags: 'BUILDKITE_AGENT_TAGS',
  acquireJob: 'BUILDKITE_AGENT_ACQUIRE_JOB',
} as const;

/**
 * Buildkite as a CI source: an agent registers itself with the agent token, so making one calls no
 * API. The pod gets the token in its Secret, and `--acquire-job` binds it to the build's job: it runs
 * that job and exits (https://buildkite.com/docs/agent/v3/cli-start#acquire-job).
 */
export const createBuildkiteSource = (options: BuildkiteSourceOptions): CiSourceAdapter =>
  buildkiteSourceFrom(parseBuildkiteAdapterOptions(options));

/** The adapter over settings `parseBuildkiteAdapterOptions` checked (its API side loads this on its first call). */
export function buildkiteSourceFrom(settings: BuildkiteAdapterSettings): CiSourceAdapter {
  const fetch = createBuildkiteFetch(settings);
  const agents: AgentApi = { fetch, organization: settings.organization };

  return {
    name: 'buildkite',

    async createAgentCredentials(request: AgentRequest): Promise<AgentCredentials> {
      const details = parseDetails(buildkiteModule.detailsSchema, request);
      return {
        secretEnv: { [agentEnv.token]: settings.agentToken },
        env: {
          [agentEnv.name]: request.agentName,
          [agentEnv.acquireJob]: details.jobId,
          // The job's query rules as the agent's tags, so Buildkite deems the agent able to run it.
          ...(request.labels.length === 0 ? {} : { [agentEnv.tags]: request.labels.join(',') }),
        },
      };
    },

    /**
     * An agent that acquired its job disconnects by itself; one still connected (its pod never got the
     * job, or is being removed) is told to stop. None connected is success.
     */
    async deregisterAgent(request): Promise<void> {
      for (const id of await findConnectedAgents(agents, request.agentName))
        await stopAgent(agents, id, request.agentName);
    },

    // Polling loads on the first poll (../pollers.ts).
    ...(!buildkiteAdapterCalls(settings).listQueuedBuilds
      ? {}
      : {
          listQueuedBuilds: async () =>
            (await import('../pollers')).listBuildkiteQueuedBuilds(
              { fetch, apiUrl: settings.apiUrl },
              {
                organization: settings.organization,
                pipelines: settings.pollPipelines,
                allowPublicPipelines: settings.allowPublicPipelines,
              },
            ),
        }),
  };
}
