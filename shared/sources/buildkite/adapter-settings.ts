import type { AdapterCalls } from '../lazy-adapter';

export interface BuildkiteSourceOptions {
  readonly organization: string;
  /** REST API root (https://api.buildkite.com). */
  readonly apiUrl?: string;
  readonly apiToken: string;
  /** The agent token every pod registers with. */
  readonly agentToken: string;
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
 * The options checked, with the defaults filled in and the pipelines to poll reduced to their slugs.
 * Bad options throw here, when the adapter is built (at cold start), not on the first build: the
 * adapter's own code loads later (../lazy-adapter.ts).
 */
export function parseBuildkiteAdapterOptions(options: BuildkiteSourceOptions) {
  const apiUrl = (options.apiUrl ?? buildkiteSourceDefaults.apiUrl).replace(/\/+$/, '');
  if (!URL.canParse(apiUrl) || !/^https?:$/.test(new URL(apiUrl).protocol))
    throw new Error(`Buildkite apiUrl ${apiUrl} is not an http(s) URL`);
  if (options.apiToken === '') throw new Error('Buildkite apiToken is empty');
  if (options.agentToken === '') throw new Error('Buildkite agentToken is empty');
  return {
    organization: options.organization,
    apiUrl,
    apiToken: options.apiToken,
    agentToken: options.agentToken,
    requestTimeoutMs: options.requestTimeoutMs ?? buildkiteSourceDefaults.requestTimeoutMs,
    pollPipelines: [
      ...new Set(
        (options.pollPipelines ?? []).map((entry) => entry.split('/')[1] ?? '').filter((slug) => slug !== ''),
      ),
    ],
    allowPublicPipelines: options.allowPublicPipelines ?? false,
  };
}

/** The adapter's options, checked and with every default filled in. */
export type BuildkiteAdapterSettings = ReturnType<typeof parseBuildkiteAdapterOptions>;

/** Without pipelines to poll the adapter has no `listQueuedBuilds`, so the reaper knows there is nothing to poll. */
export const buildkiteAdapterCalls = (settings: BuildkiteAdapterSettings): AdapterCalls => ({
  isAgentBusy: false,
  listQueuedBuilds: settings.pollPipelines.length > 0,
});
