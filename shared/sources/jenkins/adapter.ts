import { CiError } from '../errors';
import { makesNoAgents } from '../bundle';
import { parseDetails } from '../details';
import type { AgentCredentials, CiSourceAdapter } from '../types';
import {
  agentDescriptionPrefix,
  createNode,
  deleteNode,
  getAgentState,
  type JenkinsApi,
  readAgentSecret,
} from './agents';
import { createJenkinsFetch } from './api';
import { formatLabelString } from './label-string';
import { jenkinsModule } from './module';
import { queueItemWaits } from './queue-item';
import { retireBusyAgents } from './retire';
import { normaliseControllerUrl } from './controller-url';

export interface JenkinsSourceOptions {
  /** The controller URL Pitcrew calls and agents connect to, e.g. https://jenkins.example.com/. */
  readonly url: string;
  /** The user whose API token Pitcrew uses (permissions: docs/jenkins.md). */
  readonly user: string;
  readonly apiToken: string;
  /** The agent's remote root directory (the node's remoteFS, the pod's JENKINS_AGENT_WORKDIR). */
  readonly agentWorkDir?: string;
  readonly requestTimeoutMs?: number;
  /** Let the reaper poll `/queue/api/json` for builds whose webhook was lost (default false). */
  readonly pollQueue?: boolean;
}

export const jenkinsSourceDefaults = {
  agentWorkDir: '/home/jenkins/agent',
  requestTimeoutMs: 10_000,
} as const;

/** The adapter, plus what the reaper asks Jenkins about its agents and the queue. */
export interface JenkinsSource extends CiSourceAdapter {
  readonly name: 'jenkins';
  /** Whether the agent runs (part of) a build now (or, `untilRetired`, is in rotation); false when Jenkins has no such agent. */
  isAgentBusy(agentName: string, untilRetired?: boolean): Promise<boolean>;
}

/**
 * Jenkins as a CI source: one permanent inbound agent (a node) per build, created through the remote
 * API, with its secret handed to the pod. Options are merged with the defaults once, here.
 */
export function createJenkinsSource(options: JenkinsSourceOptions): JenkinsSource {
  const settings = {
    ...options,
    agentWorkDir: options.agentWorkDir ?? jenkinsSourceDefaults.agentWorkDir,
    requestTimeoutMs: options.requestTimeoutMs ?? jenkinsSourceDefaults.requestTimeoutMs,
    pollQueue: options.pollQueue ?? false,
  };
  const url = normaliseControllerUrl(settings.url);
  if (url === undefined) throw new TypeError('The Jenkins url must be an http(s) URL');
  const api: JenkinsApi = { fetch: createJenkinsFetch({ ...settings, url }), now: Date.now };

  return {
    name: 'jenkins',
    // The reaper makes no agents, so its bundle leaves this out (../bundle.ts).
    createAgentCredentials:
      // eslint-disable-next-line no-restricted-properties -- the bundle's name, set at build, not a setting
      process.env.PITCREW_BUNDLE === 'reap'
        ? makesNoAgents
        : async (request): Promise<AgentCredentials> => {
            // A template names at least one label. Without any, the node (EXCLUSIVE mode) would take no
            // build and idle until reaped, so say so rather than make it.
            if (request.labels.length === 0)
              throw new CiError(
                'a Jenkins agent needs at least one label, and its template names none',
                false,
              );
            const name = request.agentName;
            await createNode(api, {
              name,
              description: `${agentDescriptionPrefix} for request ${request.requestId}`,
              labelString: formatLabelString(request.labels),
              remoteFS: settings.agentWorkDir,
            });
            const secret = await readAgentSecret(api, name);
            return {
              secretEnv: { JENKINS_SECRET: secret },
              env: {
                JENKINS_URL: url,
                JENKINS_AGENT_NAME: name,
                JENKINS_AGENT_WORKDIR: settings.agentWorkDir,
                JENKINS_WEB_SOCKET: 'true',
              },
            };
          },
    async deregisterAgent(request): Promise<void> {
      await deleteNode(api, request.agentName);
    },
    // Only provision takes agents out of rotation (../bundle.ts).
    // eslint-disable-next-line no-restricted-properties -- the bundle's name, set at build, not a setting
    ...(process.env.PITCREW_BUNDLE === 'reap' ? {} : { retireBusyAgents: () => retireBusyAgents(api) }),
    // A Jenkins agent that ended before Jenkins gave it its build (evicted, killed while it connected)
    // leaves the build queued: the reaper asks, and the build gets another agent. Not in provision.
    // eslint-disable-next-line no-restricted-properties -- the bundle's name, set at build, not a setting
    ...(process.env.PITCREW_BUNDLE === 'provision'
      ? {}
      : {
          buildWaits: async (request) =>
            queueItemWaits(api, parseDetails(jenkinsModule.detailsSchema, request).queueItemId),
        }),
    isAgentBusy: async (agentName, untilRetired) => {
      const state = await getAgentState(api, agentName);
      return !!state && (state.busy || (!!untilRetired && !state.retired));
    },
    ...(settings.pollQueue
      ? {
          // The polling, and the receiver code that reads a queue item as a build, load on the first
          // poll (../pollers.ts).
          listQueuedBuilds: async () => (await import('../pollers')).listJenkinsQueuedBuilds(api, url),
        }
      : {}),
  };
}
