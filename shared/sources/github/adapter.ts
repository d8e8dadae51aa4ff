import { CiRejectedError, CiUnavailableError } from '../errors';
import { makesNoAgents } from '../bundle';
import type * as v from '../../schema/valibot';
import { parseDetails } from '../details';
import type { AgentCredentials, AgentRequest, CiSourceAdapter } from '../types';
import { githubModule } from './module';
import { createGithubFetch, type GithubFetch } from './api';
import { createInstallationTokens, loadAppPrivateKey } from './app-auth';
import type { PollAuth } from './polling';
import { parsePollRepository, type PollRepository } from './repository-name';
import {
  deleteRunner,
  describeScope,
  findRunnerByName,
  generateJitConfig,
  isPublicRepository,
  jobWaits,
  type JitRequest,
  type RunnerApi,
  type RunnerScope,
} from './runners';

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
  /**
   * Make runners for public repositories, and poll their runs (sources.github.allowPublicRepositories).
   * When false, GitHub is asked whether the repository is public before each runner is made.
   */
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

/** The runner reads `--jitconfig` from this variable (the runner maps ACTIONS_RUNNER_INPUT_<ARG> to its arguments). */
export const jitConfigEnvName = 'ACTIONS_RUNNER_INPUT_JITCONFIG';

type GithubSettings = Required<Omit<GithubSourceOptions, 'auth' | 'pollRepositories'>> & {
  readonly pollRepositories: readonly PollRepository[];
};

/** Parsed, and without repeats: GitHub's names are not case sensitive. */
function pollRepositoriesFrom(entries: readonly string[]): PollRepository[] {
  const byName = new Map(
    entries.map(parsePollRepository).map((r) => [`${r.owner}/${r.repo}`.toLowerCase(), r]),
  );
  return [...byName.values()];
}

function withDefaults(options: GithubSourceOptions): GithubSettings {
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
  // Bad options fail when the adapter is built (at cold start), not on the first build.
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
  return settings;
}

type GithubDetails = v.InferOutput<typeof githubModule.detailsSchema>;

interface TokenSource {
  /** The token to call the runner endpoints with for one build's repository. */
  readonly tokenFor: (details: GithubDetails) => Promise<string>;
  /** The token to poll a repository with; with an App, also the installation, which no webhook named. */
  readonly pollAuthFor: (repository: PollRepository) => Promise<PollAuth>;
}

function createTokenSource(auth: GithubAuth, fetch: GithubFetch, now: () => number): TokenSource {
  if (auth.kind === 'token') {
    if (auth.token === '') throw new Error('GitHub auth token is empty');
    return { tokenFor: async () => auth.token, pollAuthFor: async () => ({ token: auth.token }) };
  }
  const tokens = createInstallationTokens({
    appId: auth.appId,
    privateKey: loadAppPrivateKey(auth.privateKey),
    installationId: auth.installationId,
    fetch,
    now,
  });
  return {
    tokenFor: (details) => tokens.tokenFor(details),
    async pollAuthFor(repository) {
      const installationId = await tokens.installationIdFor(repository);
      return { token: await tokens.tokenFor({ ...repository, installationId }), installationId };
    },
  };
}

const githubDetails = (request: AgentRequest): GithubDetails =>
  parseDetails(githubModule.detailsSchema, request);

const scopeFor = (details: GithubDetails, runnerScope: 'repo' | 'org'): RunnerScope =>
  runnerScope === 'org'
    ? { kind: 'org', org: details.owner }
    : { kind: 'repo', owner: details.owner, repo: details.repo };

/**
 * Creates a JIT runner; a 409 means a runner of that name survives from an earlier attempt of this
 * request (a provision retry), so it is deleted and the creation tried once more.
 */
async function createJitRunner(api: RunnerApi, token: string, scope: RunnerScope, jit: JitRequest) {
  const first = await generateJitConfig(api, token, scope, jit);
  if (first.kind === 'created') return first;
  const stale = await findRunnerByName(api, token, scope, jit.name);
  if (stale !== undefined) await deleteRunner(api, token, scope, stale);
  const second = await generateJitConfig(api, token, scope, jit);
  if (second.kind === 'created') return second;
  throw new CiUnavailableError(
    `GitHub still has a runner named ${jit.name} on ${describeScope(scope)} after deleting it`,
  );
}

/** Parses a runner id we stored as `externalId`. */
function runnerIdFrom(externalId: string): number {
  if (!/^\d+$/.test(externalId)) throw new CiRejectedError(`GitHub runner id ${externalId} is not a number`);
  return Number(externalId);
}

/** GitHub Actions: `workflow_job` webhooks in, ephemeral just-in-time runners out. */
export function createGithubSource(options: GithubSourceOptions): CiSourceAdapter {
  const settings = withDefaults(options);
  const fetch = createGithubFetch(settings);
  const api: RunnerApi = { fetch, now: settings.now };
  const { tokenFor, pollAuthFor } = createTokenSource(options.auth, fetch, settings.now);
  const poll = {
    repositories: settings.pollRepositories,
    maxRunsPerRepo: settings.pollMaxRunsPerRepo,
    allowPublicRepositories: settings.allowPublicRepositories,
  };

  return {
    name: 'github',

    // The reaper makes no agents, so its bundle leaves this out (../bundle.ts).
    createAgentCredentials:
      // eslint-disable-next-line no-restricted-properties -- the bundle's name, set at build, not a setting
      process.env.PITCREW_BUNDLE === 'reap'
        ? makesNoAgents
        : async (request): Promise<AgentCredentials> => {
            const details = githubDetails(request);
            const scope = scopeFor(details, settings.runnerScope);
            const token = await tokenFor(details);
            if (
              !settings.allowPublicRepositories &&
              (await isPublicRepository(api, token, details.owner, details.repo))
            )
              throw new CiRejectedError(
                `${details.owner}/${details.repo} is public at GitHub, though its delivery said it was not: anyone's pull request could run on the runner (sources.github.allowPublicRepositories is false)`,
              );
            const runner = await createJitRunner(api, token, scope, {
              name: request.agentName,
              labels: request.labels,
              runnerGroupId: settings.runnerGroupId,
              workFolder: settings.workFolder,
            });
            return {
              secretEnv: { [jitConfigEnvName]: runner.encodedJitConfig },
              env: { RUNNER_NAME: request.agentName },
              externalId: String(runner.runnerId),
            };
          },

    async deregisterAgent(request): Promise<void> {
      const details = githubDetails(request);
      const scope = scopeFor(details, settings.runnerScope);
      const token = await tokenFor(details);
      const runnerId =
        request.externalId === undefined
          ? await findRunnerByName(api, token, scope, request.agentName)
          : runnerIdFrom(request.externalId);
      if (runnerId !== undefined) await deleteRunner(api, token, scope, runnerId);
    },

    // Only the reaper asks (../types.ts); provision's bundle leaves it out.
    // eslint-disable-next-line no-restricted-properties -- the bundle's name, set at build, not a setting
    ...(process.env.PITCREW_BUNDLE === 'provision'
      ? {}
      : {
          async buildWaits(request): Promise<boolean> {
            const details = githubDetails(request);
            return jobWaits(api, await tokenFor(details), details.owner, details.repo, request.jobKey);
          },
        }),

    // Left undefined without repositories, so the reaper knows there is nothing to poll.
    // Polling loads on the first poll (../pollers.ts).
    ...(poll.repositories.length === 0
      ? {}
      : {
          listQueuedBuilds: async (problem) =>
            (await import('../pollers')).listGithubQueuedBuilds(
              { fetch, now: settings.now, authFor: pollAuthFor },
              poll,
              problem,
            ),
        }),
  };
}
