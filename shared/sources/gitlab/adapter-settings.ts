import type { AdapterCalls } from '../lazy-adapter';

export interface GitlabSourceOptions {
  /** The instance URL (https://gitlab.com); the REST API is at `<apiUrl>/api/v4`, runners connect to it. */
  readonly apiUrl?: string;
  /** An access token with the create_runner, manage_runner and read_api scopes (docs/gitlab.md). */
  readonly token: string;
  /** The job tags this source serves (sources.gitlab.tags). */
  readonly tags: readonly string[];
  /** Project paths whose pending jobs `listQueuedBuilds` reports. Empty: no `listQueuedBuilds`. */
  readonly pollProjects?: readonly string[];
  /** The allow-list (sources.gitlab.projects), which polling checks again. */
  readonly projects?: readonly string[];
  readonly allowPublicProjects?: boolean;
  /** Where the shell executor clones and builds, inside the pod. */
  readonly buildsDir?: string;
  readonly requestTimeoutMs?: number;
  /** Milliseconds since the epoch; tests pass a clock. */
  readonly now?: () => number;
}

/** Every default, in one place. */
export const gitlabSourceDefaults = {
  apiUrl: 'https://gitlab.com',
  buildsDir: '/tmp/builds',
  requestTimeoutMs: 10_000,
} as const;

/**
 * The options checked, with the defaults filled in. Bad options throw here, when the adapter is built
 * (at cold start), not on the first build: the adapter's own code loads later (../lazy-adapter.ts).
 */
export function parseGitlabAdapterOptions(options: GitlabSourceOptions) {
  const apiUrl = (options.apiUrl ?? gitlabSourceDefaults.apiUrl).replace(/\/+$/, '');
  if (!URL.canParse(apiUrl) || !/^https?:$/.test(new URL(apiUrl).protocol))
    throw new Error(`GitLab apiUrl ${apiUrl} is not an http(s) URL`);
  if (options.token === '') throw new Error('GitLab apiToken is empty');
  if (options.tags.length === 0) throw new Error('GitLab tags must name at least one tag');
  const requestTimeoutMs = options.requestTimeoutMs ?? gitlabSourceDefaults.requestTimeoutMs;
  if (!(requestTimeoutMs > 0))
    throw new Error(`GitLab requestTimeoutMs must be positive, not ${requestTimeoutMs}`);
  return {
    apiUrl,
    token: options.token,
    tags: options.tags,
    pollProjects: options.pollProjects ?? [],
    projects: options.projects ?? [],
    allowPublicProjects: options.allowPublicProjects ?? false,
    buildsDir: options.buildsDir ?? gitlabSourceDefaults.buildsDir,
    requestTimeoutMs,
    now: options.now ?? Date.now,
  };
}

/** The adapter's options, checked and with every default filled in. */
export type GitlabAdapterSettings = ReturnType<typeof parseGitlabAdapterOptions>;

/** Without projects to poll the adapter has no `listQueuedBuilds`, so the reaper knows there is nothing to poll. */
export const gitlabAdapterCalls = (settings: GitlabAdapterSettings): AdapterCalls => ({
  isAgentBusy: false,
  listQueuedBuilds: settings.pollProjects.length > 0,
});
