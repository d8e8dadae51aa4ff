import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { AdapterCalls } from '../lazy-adapter';
import { parsePollRepository, type PollRepository } from './repository-name';

/** A personal (or fine-grained) access token, or a GitHub App that mints installation tokens. */
export type GithubAuth =
  | { readonly kind: 'token'; readonly token: string }
  | {
      readonly kind: 'app';
      readonly appId: string;
      readonly privateKey: string;
      readonly installationId?: number;
    };

export interface GithubSourceOptions {
  /** REST API root; GHES: `https://ghe.example.com/api/v3`. */
  readonly apiUrl?: string;
  readonly auth: GithubAuth;
  /** Register runners on the build's repository, or on its organization. */
  readonly runnerScope?: 'repo' | 'org';
  readonly runnerGroupId?: number;
  /** The runner's work directory, relative to its install directory. */
  readonly workFolder?: string;
  readonly requestTimeoutMs?: number;
  /**
   * "owner/repo" entries whose queued jobs `listQueuedBuilds` reports, for the reaper to provision
   * those whose webhook was lost. Empty: the adapter has no `listQueuedBuilds`.
   */
  readonly pollRepositories?: readonly string[];
  /** How many queued workflow runs to read per repository and poll, newest first (1 to 100). */
  readonly pollMaxRunsPerRepo?: number;
  /** Poll public repositories' runs too (sources.github.allowPublicRepositories). */
  readonly allowPublicRepositories?: boolean;
  /** Milliseconds since the epoch; tests pass a clock. */
  readonly now?: () => number;
}

/** Every default, in one place. */
export const githubSourceDefaults = {
  apiUrl: 'https://api.github.com',
  runnerScope: 'repo',
  runnerGroupId: 1,
  workFolder: '_work',
  requestTimeoutMs: 10_000,
  pollRepositories: [],
  pollMaxRunsPerRepo: 20,
  allowPublicRepositories: false,
} as const;

/** The auth with the App's key parsed: a bad key fails here, not on a build. */
export type CheckedGithubAuth =
  | { readonly kind: 'token'; readonly token: string }
  | {
      readonly kind: 'app';
      readonly appId: string;
      readonly privateKey: KeyObject;
      readonly installationId?: number;
    };

/** The adapter's options, checked and with every default filled in: what `parseGithubAdapterOptions` gives. */
export type GithubAdapterSettings = Required<Omit<GithubSourceOptions, 'auth' | 'pollRepositories'>> & {
  readonly auth: CheckedGithubAuth;
  readonly pollRepositories: readonly PollRepository[];
};

/** Parsed, and without repeats: GitHub's names are not case sensitive. */
function pollRepositoriesFrom(entries: readonly string[]): PollRepository[] {
  const byName = new Map(
    entries.map(parsePollRepository).map((r) => [`${r.owner}/${r.repo}`.toLowerCase(), r]),
  );
  return [...byName.values()];
}

/**
 * The options checked, with the defaults filled in. Bad options throw here, when the adapter is built
 * (at cold start), not on the first build: the adapter's own code loads later (../lazy-adapter.ts).
 */
export function parseGithubAdapterOptions(options: GithubSourceOptions): GithubAdapterSettings {
  const settings = {
    apiUrl: (options.apiUrl ?? githubSourceDefaults.apiUrl).replace(/\/+$/, ''),
    runnerScope: options.runnerScope ?? githubSourceDefaults.runnerScope,
    runnerGroupId: options.runnerGroupId ?? githubSourceDefaults.runnerGroupId,
    workFolder: options.workFolder ?? githubSourceDefaults.workFolder,
    requestTimeoutMs: options.requestTimeoutMs ?? githubSourceDefaults.requestTimeoutMs,
    pollRepositories: pollRepositoriesFrom(options.pollRepositories ?? githubSourceDefaults.pollRepositories),
    pollMaxRunsPerRepo: options.pollMaxRunsPerRepo ?? githubSourceDefaults.pollMaxRunsPerRepo,
    allowPublicRepositories: options.allowPublicRepositories ?? githubSourceDefaults.allowPublicRepositories,
    now: options.now ?? Date.now,
  };
  if (!URL.canParse(settings.apiUrl) || !/^https?:$/.test(new URL(settings.apiUrl).protocol)) {
    throw new Error(`GitHub apiUrl ${settings.apiUrl} is not an http(s) URL`);
  }
  if (!Number.isInteger(settings.runnerGroupId) || settings.runnerGroupId < 1) {
    throw new Error(`GitHub runnerGroupId must be a positive integer, not ${settings.runnerGroupId}`);
  }
  if (!(settings.requestTimeoutMs > 0)) {
    throw new Error(`GitHub requestTimeoutMs must be positive, not ${settings.requestTimeoutMs}`);
  }
  // It is the runs list's per_page, which GitHub caps at 100.
  const maxRuns = settings.pollMaxRunsPerRepo;
  if (!Number.isInteger(maxRuns) || maxRuns < 1 || maxRuns > 100) {
    throw new Error(`GitHub pollMaxRunsPerRepo must be an integer from 1 to 100, not ${maxRuns}`);
  }
  return { ...settings, auth: checkedAuth(options.auth) };
}

function checkedAuth(auth: GithubAuth): CheckedGithubAuth {
  if (auth.kind === 'token') {
    if (auth.token === '') throw new Error('GitHub auth token is empty');
    return auth;
  }
  return { ...auth, privateKey: loadAppPrivateKey(auth.privateKey) };
}

/** Parses the App's PEM private key once, so a bad key fails when the adapter is built, not per build. */
export function loadAppPrivateKey(pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (error) {
    // The key itself is never repeated; node's error only names the decoder step that failed.
    throw new Error(
      'GitHub App privateKey is not a PEM private key: use the .pem file GitHub generated for the App',
      {
        cause: error,
      },
    );
  }
}

/** Without repositories to poll the adapter has no `listQueuedBuilds`, so the reaper knows there is nothing to poll. */
export const githubAdapterCalls = (settings: GithubAdapterSettings): AdapterCalls => ({
  isAgentBusy: false,
  listQueuedBuilds: settings.pollRepositories.length > 0,
});
