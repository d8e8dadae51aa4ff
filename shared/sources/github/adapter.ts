import { CiRejectedError, CiUnavailableError } from '../errors';
import type * as v from '../../schema/valibot';
import { parseDetails } from '../details';
import type { AgentCredentials, AgentRequest, CiSourceAdapter } from '../types';
import { githubModule } from './module';
import { createGithubFetch, type GithubFetch } from './api';
import {
  type CheckedGithubAuth,
  githubAdapterCalls,
  parseGithubAdapterOptions,
  type GithubAdapterSettings,
  type GithubSourceOptions,
} from './adapter-settings';
import { createInstallationTokens } from './app-auth';
import type { PollAuth } from './polling';
import type { PollRepository } from './repository-name';
import {
  deleteRunner,
  describeScope,
  findRunnerByName,
  generateJitConfig,
  type JitRequest,
  type RunnerApi,
  type RunnerScope,
} from './runners';

/** The runner reads `--jitconfig` from this variable (the runner maps ACTIONS_RUNNER_INPUT_<ARG> to its arguments). */
export const jitConfigEnvName = 'ACTIONS_RUNNER_INPUT_JITCONFIG';

type GithubDetails = v.InferOutput<typeof githubModule.detailsSchema>;

interface TokenSource {
  /** The token to call the runner endpoints with for one build's repository. */
  readonly tokenFor: (details: GithubDetails) => Promise<string>;
  /** The token to poll a repository with; with an App, also the installation, which no webhook named. */
  readonly pollAuthFor: (repository: PollRepository) => Promise<PollAuth>;
}

function createTokenSource(auth: CheckedGithubAuth, fetch: GithubFetch, now: () => number): TokenSource {
  if (auth.kind === 'token') {
    return { tokenFor: async () => auth.token, pollAuthFor: async () => ({ token: auth.token }) };
  }
  const tokens = createInstallationTokens({
    appId: auth.appId,
    privateKey: auth.privateKey,
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
export const createGithubSource = (options: GithubSourceOptions): CiSourceAdapter =>
  githubSourceFrom(parseGithubAdapterOptions(options));

/** The adapter over settings `parseGithubAdapterOptions` checked (its API side loads this on its first call). */
export function githubSourceFrom(settings: GithubAdapterSettings): CiSourceAdapter {
  const fetch = createGithubFetch(settings);
  const api: RunnerApi = { fetch, now: settings.now };
  const { tokenFor, pollAuthFor } = createTokenSource(settings.auth, fetch, settings.now);
  const poll = {
    repositories: settings.pollRepositories,
    maxRunsPerRepo: settings.pollMaxRunsPerRepo,
    allowPublicRepositories: settings.allowPublicRepositories,
  };

  return {
    name: 'github',

    async createAgentCredentials(request): Promise<AgentCredentials> {
      const details = githubDetails(request);
      const scope = scopeFor(details, settings.runnerScope);
      const token = await tokenFor(details);
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

    // Polling loads on the first poll (../pollers.ts).
    ...(!githubAdapterCalls(settings).listQueuedBuilds
      ? {}
      : {
          listQueuedBuilds: async () =>
            (await import('../pollers')).listGithubQueuedBuilds(
              { fetch, now: settings.now, authFor: pollAuthFor },
              poll,
            ),
        }),
  };
}
