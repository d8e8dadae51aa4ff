import type { AdapterCalls } from '../lazy-adapter';
import { normaliseControllerUrl } from './controller-url';

export interface JenkinsSourceOptions {
  /** The controller URL Pitcrew calls and agents connect to, e.g. https://jenkins.example.com/. */
  readonly url: string;
  /** The user whose API token Pitcrew uses (permissions: docs/jenkins.md). */
  readonly user: string;
  readonly apiToken: string;
  /** HOST:PORT the agent connects through instead of the controller, passed to it as JENKINS_TUNNEL. */
  readonly tunnel?: string;
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

/** The adapter's options, checked and with every default filled in: what `parseJenkinsAdapterOptions` gives. */
export type JenkinsAdapterSettings = Required<Omit<JenkinsSourceOptions, 'tunnel'>> &
  Pick<JenkinsSourceOptions, 'tunnel'>;

/**
 * The options checked, with the defaults filled in and the controller's URL normalised (once, here).
 * Bad options throw here, when the adapter is built (at cold start), not on the first build: the
 * adapter's own code loads later (../lazy-adapter.ts).
 */
export function parseJenkinsAdapterOptions(options: JenkinsSourceOptions): JenkinsAdapterSettings {
  const url = normaliseControllerUrl(options.url);
  if (url === undefined) throw new TypeError('The Jenkins url must be an http(s) URL');
  return {
    ...options,
    url,
    agentWorkDir: options.agentWorkDir ?? jenkinsSourceDefaults.agentWorkDir,
    requestTimeoutMs: options.requestTimeoutMs ?? jenkinsSourceDefaults.requestTimeoutMs,
    pollQueue: options.pollQueue ?? false,
  };
}

/** Jenkins agents outlive a build, so the reaper asks whether one is busy; the queue is polled only when set. */
export const jenkinsAdapterCalls = (settings: JenkinsAdapterSettings): AdapterCalls => ({
  isAgentBusy: true,
  listQueuedBuilds: settings.pollQueue,
});
