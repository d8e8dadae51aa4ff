import { parseDetails } from '../details';
import { makesNoAgents } from '../bundle';
import type { AgentCredentials, AgentRequest, CiSourceAdapter } from '../types';
import { type AgentApi, findConnectedAgents, stopAgent } from './agents';
import { createBuildkiteFetch } from './api';
import { jobWaits } from './jobs';
import { buildkiteModule } from './module';

export interface BuildkiteSourceOptions {
  readonly organization: string;
  /** REST API root (https://api.buildkite.com). */
  readonly apiUrl?: string;
  readonly apiToken: string;
  /**
   * The agent token every pod registers with, read when an agent is made: only provision, which makes
   * agents, reads it (the reaper's and ops' roles may not read it at all).
   */
  readonly agentToken: () => string;
  readonly requestTimeoutMs?: number;
  /** "organization/pipeline" entries whose scheduled jobs `listQueuedBuilds` reports. */
  readonly pollPipelines?: readonly string[];
  readonly allowPublicPipelines?: boolean;
}

export const buildkiteSourceDefaults = {
  apiUrl: 'https://api.buildkite.com',
  requestTimeoutMs: 10_000,
} as const;

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
export function createBuildkiteSource(options: BuildkiteSourceOptions): CiSourceAdapter {
  const apiUrl = (options.apiUrl ?? buildkiteSourceDefaults.apiUrl).replace(/\/+$/, '');
  // Bad options fail when the adapter is built (at cold start), not on the first build.
  if (!URL.canParse(apiUrl) || !/^https?:$/.test(new URL(apiUrl).protocol))
    throw new Error(`Buildkite apiUrl ${apiUrl} is not an http(s) URL`);
  if (options.apiToken === '') throw new Error('Buildkite apiToken is empty');
  const fetch = createBuildkiteFetch({
    apiUrl,
    apiToken: options.apiToken,
    requestTimeoutMs: options.requestTimeoutMs ?? buildkiteSourceDefaults.requestTimeoutMs,
  });
  const agents: AgentApi = { fetch, organization: options.organization };
  const pollPipelines = [
    ...new Set(
      (options.pollPipelines ?? []).map((entry) => entry.split('/')[1] ?? '').filter((slug) => slug !== ''),
    ),
  ];

  return {
    name: 'buildkite',

    // The reaper makes no agents, so its bundle leaves this out (../bundle.ts).
    createAgentCredentials:
      // eslint-disable-next-line no-restricted-properties -- the bundle's name, set at build, not a setting
      process.env.PITCREW_BUNDLE === 'reap'
        ? makesNoAgents
        : async (request: AgentRequest): Promise<AgentCredentials> => {
            const details = parseDetails(buildkiteModule.detailsSchema, request);
            return {
              secretEnv: { [agentEnv.token]: options.agentToken() },
              // The pod runs as a non-root user, and buildkite/agent's own paths (/buildkite/builds,
              // /buildkite/plugins) belong to root; a template's env may move them (a volume).
              envDefaults: {
                BUILDKITE_BUILD_PATH: '/tmp/buildkite/builds',
                BUILDKITE_PLUGINS_PATH: '/tmp/buildkite/plugins',
              },
              env: {
                [agentEnv.name]: request.agentName,
                [agentEnv.acquireJob]: details.jobId,
                // The template's labels, which cover the job's query rules, as the agent's tags, so
                // Buildkite deems the agent able to run it.
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

    // An agent bound to its job by --acquire-job that ended before the job started (evicted, killed,
    // unable to register) leaves the job scheduled: the reaper asks, and gives it another agent.
    // Only the reaper asks (../types.ts); provision's bundle leaves it out.
    // eslint-disable-next-line no-restricted-properties -- the bundle's name, set at build, not a setting
    ...(process.env.PITCREW_BUNDLE === 'provision'
      ? {}
      : {
          async buildWaits(request): Promise<boolean> {
            const { pipeline, buildNumber, jobId } = parseDetails(buildkiteModule.detailsSchema, request);
            // A record without its build's number cannot be asked after: taken as no longer waiting.
            if (buildNumber === undefined) return false;
            return jobWaits(fetch, { organization: options.organization, pipeline, buildNumber, jobId });
          },
        }),

    // Left undefined without pipelines, so the reaper knows there is nothing to poll.
    // Polling loads on the first poll (../pollers.ts).
    ...(pollPipelines.length === 0
      ? {}
      : {
          listQueuedBuilds: async (problem) =>
            (await import('../pollers')).listBuildkiteQueuedBuilds(
              { fetch, apiUrl },
              {
                organization: options.organization,
                pipelines: pollPipelines,
                allowPublicPipelines: options.allowPublicPipelines ?? false,
              },
              problem,
            ),
        }),
  };
}
