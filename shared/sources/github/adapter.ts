import { CiRejectedError, CiUnavailableError } from '../errors';
import type { AgentCredentials, AgentRequest, CiSourceAdapter, SourceDetails } from '../types';
import { createGithubFetch, type GithubFetch } from './api';
import { createInstallationTokens, loadAppPrivateKey } from './app-auth';
import {
  deleteRunner,
  describeScope,
  findRunnerByName,
  generateJitConfig,
  type JitRequest,
  type RunnerApi,
  type RunnerScope,
} from './runners';
import { parseGithubWebhook } from './webhook';

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
} as const;

/** The runner reads `--jitconfig` from this variable (the runner maps ACTIONS_RUNNER_INPUT_<ARG> to its arguments). */
export const jitConfigEnvName = 'ACTIONS_RUNNER_INPUT_JITCONFIG';

type GithubSettings = Required<Omit<GithubSourceOptions, 'auth'>>;

function withDefaults(options: GithubSourceOptions): GithubSettings {
  const settings = {
    apiUrl: (options.apiUrl ?? githubSourceDefaults.apiUrl).replace(/\/+$/, ''),
    runnerScope: options.runnerScope ?? githubSourceDefaults.runnerScope,
    runnerGroupId: options.runnerGroupId ?? githubSourceDefaults.runnerGroupId,
    workFolder: options.workFolder ?? githubSourceDefaults.workFolder,
    requestTimeoutMs: options.requestTimeoutMs ?? githubSourceDefaults.requestTimeoutMs,
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
  return settings;
}

type GithubDetails = Extract<SourceDetails, { source: 'github' }>;

/** Gives the token to call the runner endpoints with for one build's repository. */
type TokenFor = (details: GithubDetails) => Promise<string>;

function createTokenSource(auth: GithubAuth, fetch: GithubFetch, now: () => number): TokenFor {
  if (auth.kind === 'token') {
    if (auth.token === '') throw new Error('GitHub auth token is empty');
    return async () => auth.token;
  }
  const tokens = createInstallationTokens({
    appId: auth.appId,
    privateKey: loadAppPrivateKey(auth.privateKey),
    installationId: auth.installationId,
    fetch,
    now,
  });
  return (details) => tokens.tokenFor(details);
}

function githubDetails(request: AgentRequest): GithubDetails {
  if (request.details.source !== 'github') {
    throw new CiRejectedError(
      `request ${request.requestId} has ${request.details.source} details, not GitHub's`,
    );
  }
  return request.details;
}

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
  const tokenFor = createTokenSource(options.auth, fetch, settings.now);

  return {
    name: 'github',
    signatureHeader: 'x-hub-signature-256',
    parseWebhook: parseGithubWebhook,

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
  };
}
