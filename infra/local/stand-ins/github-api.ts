/**
 * A fake of the few GitHub REST endpoints the GitHub adapter calls, written from the public docs:
 * - App auth: POST /app/installations/{id}/access_tokens, GET /repos/{owner}/{repo}/installation
 *   (https://docs.github.com/en/rest/apps/apps), App JWTs verified with the App's public key
 *   (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app)
 * - Runners, repository and organization scope: POST .../actions/runners/generate-jitconfig,
 *   GET .../actions/runners?name=, DELETE .../actions/runners/{id}
 *   (https://docs.github.com/en/rest/actions/self-hosted-runners)
 * - A repository's visibility: GET /repos/{owner}/{repo}
 *   (https://docs.github.com/en/rest/repos/repos#get-a-repository), `private` and `visibility` only
 * - Workflow runs and jobs: GET /repos/{owner}/{repo}/actions/runs?status=&per_page=&page=
 *   (https://docs.github.com/en/rest/actions/workflow-runs#list-workflow-runs-for-a-repository),
 *   GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs?filter=&per_page=&page=
 *   (https://docs.github.com/en/rest/actions/workflow-jobs#list-jobs-for-a-workflow-run) and
 *   GET /repos/{owner}/{repo}/actions/jobs/{job_id}
 *   (https://docs.github.com/en/rest/actions/workflow-jobs#get-a-job-for-a-workflow-run), read from
 *   `state.workflowRuns`, which tests fill
 * It keeps runners in memory, records every request (without its Authorization header) and can be
 * told to fail the next calls with any status and headers.
 */
import { createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createFailureSchedule, type FailureControls } from './failure-schedule';
import { closeServer, listenOnLoopback, readBody, recordedHeaders } from './http-server';
import { z } from 'zod';

export interface FakeGithubApp {
  readonly appId: string;
  /** PEM (SPKI) public key the App JWTs must verify with. */
  readonly publicKey: string;
  /** Installation id per account login (an App is installed on a user or an organization). */
  readonly installations: Readonly<Record<string, number>>;
}

export interface FakeGithubOptions {
  /** Access tokens accepted on the runner endpoints (personal or fine-grained tokens). */
  readonly tokens?: readonly string[];
  readonly app?: FakeGithubApp;
  /** Runner groups that exist; the default group has id 1. */
  readonly runnerGroups?: readonly number[];
  /** Where the API lives on the server: '' for api.github.com, '/api/v3' for GHES. */
  readonly basePath?: string;
  readonly installationTokenLifetimeSeconds?: number;
  /** Repositories that exist, "owner/repo" (case-insensitive) for the workflow endpoints; default: all. */
  readonly repositories?: readonly string[];
  /** Repositories that are public, "owner/repo" (case-insensitive); every other one is private. */
  readonly publicRepositories?: readonly string[];
  readonly now?: () => number;
}

export interface FakeRunner {
  readonly id: number;
  readonly name: string;
  readonly owner: string;
  /** Undefined for an organization runner. */
  readonly repo?: string;
  readonly labels: readonly string[];
  readonly runnerGroupId: number;
  readonly workFolder: string;
  readonly encodedJitConfig: string;
  busy: boolean;
}

/** The statuses GitHub documents for a run and a job (a run may also be `action_required`, `stale`...). */
export type FakeRunStatus = 'requested' | 'queued' | 'pending' | 'waiting' | 'in_progress' | 'completed';

export interface FakeWorkflowJob {
  readonly id: number;
  status: FakeRunStatus;
  readonly labels: readonly string[];
  /** Nullable in the REST schema; the default is the job's page on github.com. */
  readonly htmlUrl?: string | null;
  readonly name?: string;
}

/** A workflow run of one repository; its jobs' `run_id` is the run's id. */
export interface FakeWorkflowRun {
  readonly id: number;
  /** GitHub's spelling, which the answers carry whatever case the request used. */
  readonly owner: string;
  readonly repo: string;
  status: FakeRunStatus;
  readonly jobs: FakeWorkflowJob[];
  /** The repository's visibility; private unless a test says otherwise. */
  readonly visibility?: 'public' | 'private' | 'internal';
}

export type RequestAuth = 'none' | 'invalid' | 'token' | 'installation-token' | 'app-jwt';

export interface RecordedRequest {
  readonly method: string;
  /** Path and query, without the base path. */
  readonly path: string;
  /** Lower-cased, without Authorization. */
  readonly headers: Readonly<Record<string, string>>;
  readonly auth: RequestAuth;
  readonly body?: unknown;
}

export interface FakeFailure {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** Answer only after this long (to exercise client timeouts). */
  readonly delayMs?: number;
  /** Only fail requests with this method and a path matching this (default: any request). */
  readonly method?: string;
  readonly path?: RegExp;
}

export interface FakeGithubState {
  readonly runners: FakeRunner[];
  readonly workflowRuns: FakeWorkflowRun[];
  readonly requests: RecordedRequest[];
  /** Issued installation tokens: token → installation id and expiry. */
  readonly installationTokens: Map<string, { readonly installationId: number; readonly expiresAtMs: number }>;
}

export interface FakeGithub extends FailureControls<FakeFailure> {
  /** Base URL including basePath, to pass as apiUrl. */
  readonly url: string;
  readonly state: FakeGithubState;
  close(): Promise<void>;
}

/** An RSA key pair like the one GitHub generates for an App (PKCS#1 private key, as GitHub's .pem is). */
export function generateAppKeyPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
}

interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

interface Context {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly auth: Authenticated;
  readonly body: unknown;
}

type Authenticated =
  | { readonly kind: 'none' | 'invalid' | 'app-jwt' | 'token' }
  | { readonly kind: 'installation-token'; readonly installationId: number };

const docs = 'https://docs.github.com/rest';
const notFound: Answer = { status: 404, body: { message: 'Not Found', documentation_url: docs } };
const badCredentials: Answer = { status: 401, body: { message: 'Bad credentials', documentation_url: docs } };

const jwtHeaderSchema = z.object({ alg: z.literal('RS256') });
const jwtClaimsSchema = z.object({
  iat: z.number(),
  exp: z.number(),
  iss: z.union([z.string(), z.number()]),
});

/** Checks signature and claims as GitHub documents them: RS256, iss = App, exp at most 10 minutes ahead. */
function isValidAppJwt(jwt: string, app: FakeGithubApp, nowMs: number): boolean {
  const [header, payload, signature, ...rest] = jwt.split('.');
  if (!header || !payload || !signature || rest.length > 0) return false;
  try {
    const verified = createVerify('RSA-SHA256')
      .update(`${header}.${payload}`)
      .verify(app.publicKey, Buffer.from(signature, 'base64url'));
    const alg = jwtHeaderSchema.safeParse(JSON.parse(Buffer.from(header, 'base64url').toString('utf8')));
    const claims = jwtClaimsSchema.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    if (!verified || !alg.success || !claims.success) return false;
    const now = Math.floor(nowMs / 1000);
    const { iat, exp, iss } = claims.data;
    return String(iss) === app.appId && iat <= now + 5 && exp > now && exp <= now + 600;
  } catch {
    return false;
  }
}

const jitBodySchema = z.object({
  name: z.string().min(1),
  runner_group_id: z.number().int(),
  labels: z.array(z.string().min(1)).min(1).max(100),
  work_folder: z.string().default('_work'),
});

/** `per_page` (default 30, at most 100) and `page` (from 1), as https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api describes. */
function pageOf<T>(ctx: Context, items: readonly T[]): T[] {
  const perPage = Math.min(Number(ctx.query.get('per_page') ?? 30), 100);
  const page = Number(ctx.query.get('page') ?? 1);
  return items.slice((page - 1) * perPage, page * perPage);
}

const validationFailed = (message: string): Answer => ({
  status: 422,
  body: { message: `Validation Failed: ${message}`, documentation_url: docs },
});

export async function startFakeGithub(options: FakeGithubOptions = {}): Promise<FakeGithub> {
  const now = options.now ?? Date.now;
  const basePath = options.basePath ?? '';
  const tokens = new Set(options.tokens ?? []);
  const runnerGroups = new Set(options.runnerGroups ?? [1]);
  const lifetimeMs = (options.installationTokenLifetimeSeconds ?? 3600) * 1000;
  const state: FakeGithubState = {
    runners: [],
    workflowRuns: [],
    requests: [],
    installationTokens: new Map(),
  };
  const repositories =
    options.repositories === undefined
      ? undefined
      : new Set(options.repositories.map((r) => r.toLowerCase()));
  const failures = createFailureSchedule<FakeFailure>((failure) => String(failure.status));
  const timers = new Set<NodeJS.Timeout>();
  let nextRunnerId = 100;

  function authenticate(header: string | undefined): Authenticated {
    const match = /^(?:Bearer|token) (.+)$/.exec(header ?? '');
    const credential = match?.[1];
    if (credential === undefined) return { kind: 'none' };
    if (tokens.has(credential)) return { kind: 'token' };
    const issued = state.installationTokens.get(credential);
    if (issued && issued.expiresAtMs > now())
      return { kind: 'installation-token', installationId: issued.installationId };
    if (options.app && isValidAppJwt(credential, options.app, now())) return { kind: 'app-jwt' };
    return { kind: 'invalid' };
  }

  /** Runner and workflow endpoints take an access token; an installation token only for its own account. */
  function runnerAccess(ctx: Context, owner: string): Answer | undefined {
    if (ctx.auth.kind === 'token') return undefined;
    if (ctx.auth.kind === 'installation-token') {
      if (options.app?.installations[owner] === ctx.auth.installationId) return undefined;
      return {
        status: 403,
        body: { message: 'Resource not accessible by integration', documentation_url: docs },
      };
    }
    return badCredentials;
  }

  const runnerJson = (runner: FakeRunner) => ({
    id: runner.id,
    name: runner.name,
    os: 'unknown',
    status: 'offline',
    busy: runner.busy,
    labels: [
      { id: 1, name: 'self-hosted', type: 'read-only' },
      ...runner.labels.map((name, index) => ({ id: 10 + index, name, type: 'custom' })),
    ],
  });

  const inScope = (runner: FakeRunner, owner: string, repo: string | undefined) =>
    runner.owner.toLowerCase() === owner.toLowerCase() && runner.repo?.toLowerCase() === repo?.toLowerCase();

  function generateJitConfig(ctx: Context, owner: string, repo: string | undefined): Answer {
    const parsed = jitBodySchema.safeParse(ctx.body);
    if (!parsed.success) {
      return {
        status: 422,
        body: {
          message: `Invalid request.\n\n${parsed.error.issues[0]?.message ?? ''}`,
          documentation_url: docs,
        },
      };
    }
    const { name, runner_group_id: runnerGroupId, labels, work_folder: workFolder } = parsed.data;
    if (!runnerGroups.has(runnerGroupId)) return notFound;
    if (state.runners.some((runner) => inScope(runner, owner, repo) && runner.name === name)) {
      return {
        status: 409,
        body: {
          message: 'Already exists - A runner with the same name already exists.',
          documentation_url: docs,
        },
      };
    }
    const encodedJitConfig = Buffer.from(
      JSON.stringify({
        '.runner': { agentName: name, workFolder },
        '.credentials': randomBytes(24).toString('hex'),
      }),
    ).toString('base64');
    const runner: FakeRunner = {
      id: nextRunnerId++,
      name,
      owner,
      repo,
      labels,
      runnerGroupId,
      workFolder,
      encodedJitConfig,
      busy: false,
    };
    state.runners.push(runner);
    return { status: 201, body: { runner: runnerJson(runner), encoded_jit_config: encodedJitConfig } };
  }

  function listRunners(ctx: Context, owner: string, repo: string | undefined): Answer {
    const name = ctx.query.get('name');
    const matching = state.runners.filter(
      (runner) => inScope(runner, owner, repo) && (name === null || runner.name === name),
    );
    return {
      status: 200,
      body: { total_count: matching.length, runners: pageOf(ctx, matching).map(runnerJson) },
    };
  }

  const sameRepo = (run: FakeWorkflowRun, owner: string, repo: string) =>
    run.owner.toLowerCase() === owner.toLowerCase() && run.repo.toLowerCase() === repo.toLowerCase();

  const repositoryJson = (run: FakeWorkflowRun) => ({
    id: 1000,
    name: run.repo,
    full_name: `${run.owner}/${run.repo}`,
    private: (run.visibility ?? 'private') !== 'public',
    visibility: run.visibility ?? 'private',
    owner: { login: run.owner, id: 2000, type: 'Organization' },
  });

  const runJson = (run: FakeWorkflowRun) => ({
    id: run.id,
    name: 'CI',
    run_attempt: 1,
    event: 'push',
    status: run.status,
    conclusion: null,
    html_url: `https://github.com/${run.owner}/${run.repo}/actions/runs/${run.id}`,
    jobs_url: `https://api.github.com/repos/${run.owner}/${run.repo}/actions/runs/${run.id}/jobs`,
    repository: repositoryJson(run),
  });

  const jobJson = (run: FakeWorkflowRun, job: FakeWorkflowJob) => ({
    id: job.id,
    run_id: run.id,
    run_url: `https://api.github.com/repos/${run.owner}/${run.repo}/actions/runs/${run.id}`,
    run_attempt: 1,
    head_sha: '3484a3fb816e0859fd6e1cea078d76385ff50625',
    url: `https://api.github.com/repos/${run.owner}/${run.repo}/actions/jobs/${job.id}`,
    html_url:
      job.htmlUrl === undefined
        ? `https://github.com/${run.owner}/${run.repo}/actions/runs/${run.id}/job/${job.id}`
        : job.htmlUrl,
    status: job.status,
    conclusion: null,
    name: job.name ?? 'build',
    steps: [],
    labels: job.labels,
    runner_id: null,
    runner_name: null,
    runner_group_id: null,
    runner_group_name: null,
    workflow_name: 'CI',
  });

  /** https://docs.github.com/en/rest/actions/workflow-runs#list-workflow-runs-for-a-repository: newest first. */
  function listWorkflowRuns(ctx: Context, owner: string, repo: string): Answer {
    const status = ctx.query.get('status');
    const matching = state.workflowRuns
      .filter((run) => sameRepo(run, owner, repo) && (status === null || run.status === status))
      .sort((a, b) => b.id - a.id);
    return {
      status: 200,
      body: { total_count: matching.length, workflow_runs: pageOf(ctx, matching).map(runJson) },
    };
  }

  /** https://docs.github.com/en/rest/actions/workflow-jobs#list-jobs-for-a-workflow-run: one attempt, so `filter` changes nothing. */
  function listWorkflowJobs(ctx: Context, owner: string, repo: string, runId: number): Answer {
    const filter = ctx.query.get('filter') ?? 'latest';
    if (filter !== 'latest' && filter !== 'all')
      return validationFailed(`filter ${filter} is not latest or all`);
    const run = state.workflowRuns.find(
      (candidate) => sameRepo(candidate, owner, repo) && candidate.id === runId,
    );
    if (run === undefined) return notFound;
    return {
      status: 200,
      body: { total_count: run.jobs.length, jobs: pageOf(ctx, run.jobs).map((job) => jobJson(run, job)) },
    };
  }

  /** https://docs.github.com/en/rest/actions/workflow-jobs#get-a-job-for-a-workflow-run */
  function getWorkflowJob(owner: string, repo: string, jobId: number): Answer {
    for (const run of state.workflowRuns.filter((candidate) => sameRepo(candidate, owner, repo))) {
      const job = run.jobs.find((candidate) => candidate.id === jobId);
      if (job) return { status: 200, body: jobJson(run, job) };
    }
    return notFound;
  }

  /** Workflow endpoints: `/repos/{owner}/{repo}/actions/runs`, `.../runs/{run_id}/jobs` and `.../jobs/{job_id}`. */
  function workflows(ctx: Context): Answer | undefined {
    const match = /^\/repos\/([^/]+)\/([^/]+)\/actions\/(?:runs(?:\/(\d+)\/jobs)?|jobs\/(\d+))$/.exec(
      ctx.path,
    );
    if (!match || ctx.method !== 'GET') return undefined;
    const owner = decodeURIComponent(match[1] ?? '');
    const repo = decodeURIComponent(match[2] ?? '');
    const denied = runnerAccess(ctx, owner);
    if (denied) return denied;
    if (repositories !== undefined && !repositories.has(`${owner}/${repo}`.toLowerCase())) return notFound;
    if (match[4] !== undefined) return getWorkflowJob(owner, repo, Number(match[4]));
    return match[3] === undefined
      ? listWorkflowRuns(ctx, owner, repo)
      : listWorkflowJobs(ctx, owner, repo, Number(match[3]));
  }

  function deleteRunner(owner: string, repo: string | undefined, id: number): Answer {
    const index = state.runners.findIndex((runner) => inScope(runner, owner, repo) && runner.id === id);
    const runner = state.runners[index];
    if (runner === undefined) return notFound;
    if (runner.busy)
      return {
        status: 422,
        body: {
          message: `Bad request - Runner "${runner.name}" is still running a job"`,
          documentation_url: docs,
        },
      };
    state.runners.splice(index, 1);
    return { status: 204 };
  }

  function createAccessToken(ctx: Context, installationId: number): Answer {
    if (ctx.auth.kind !== 'app-jwt')
      return {
        status: 401,
        body: { message: 'A JSON web token could not be decoded', documentation_url: docs },
      };
    if (!Object.values(options.app?.installations ?? {}).includes(installationId)) return notFound;
    const token = `ghs_${randomBytes(18).toString('hex')}`;
    const expiresAtMs = now() + lifetimeMs;
    state.installationTokens.set(token, { installationId, expiresAtMs });
    const expiresAt = new Date(expiresAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      status: 201,
      body: {
        token,
        expires_at: expiresAt,
        permissions: { administration: 'write' },
        repository_selection: 'all',
      },
    };
  }

  function repositoryInstallation(ctx: Context, owner: string): Answer {
    if (ctx.auth.kind !== 'app-jwt')
      return {
        status: 401,
        body: { message: 'A JSON web token could not be decoded', documentation_url: docs },
      };
    const id = options.app?.installations[owner];
    if (id === undefined) return notFound;
    return {
      status: 200,
      body: {
        id,
        account: { login: owner },
        app_id: Number(options.app?.appId),
        target_type: 'Organization',
      },
    };
  }

  /** Runner endpoints, for both scopes: `scope` is `repos/{owner}/{repo}` or `orgs/{org}`. */
  function runners(ctx: Context): Answer | undefined {
    const match =
      /^\/(?:repos\/([^/]+)\/([^/]+)|orgs\/([^/]+))\/actions\/runners(\/generate-jitconfig|\/\d+)?$/.exec(
        ctx.path,
      );
    if (!match) return undefined;
    const [, repoOwner, repoName, org, rest] = match;
    const owner = decodeURIComponent(repoOwner ?? org ?? '');
    const repo = repoName === undefined ? undefined : decodeURIComponent(repoName);
    const denied = runnerAccess(ctx, owner);
    if (denied) return denied;
    if (rest === '/generate-jitconfig' && ctx.method === 'POST') return generateJitConfig(ctx, owner, repo);
    if (rest === undefined && ctx.method === 'GET') return listRunners(ctx, owner, repo);
    if (rest !== undefined && rest !== '/generate-jitconfig' && ctx.method === 'DELETE')
      return deleteRunner(owner, repo, Number(rest.slice(1)));
    return notFound;
  }

  /** GET /repos/{owner}/{repo}: what a repository's visibility is (the fields the adapter reads). */
  function repository(ctx: Context): Answer | undefined {
    const match = /^\/repos\/([^/]+)\/([^/]+)$/.exec(ctx.path);
    if (!match || ctx.method !== 'GET') return undefined;
    const owner = decodeURIComponent(match[1] ?? '');
    const repo = decodeURIComponent(match[2] ?? '');
    const denied = runnerAccess(ctx, owner);
    if (denied) return denied;
    const fullName = `${owner}/${repo}`.toLowerCase();
    if (repositories !== undefined && !repositories.has(fullName)) return notFound;
    const isPublic = (options.publicRepositories ?? []).some((name) => name.toLowerCase() === fullName);
    return {
      status: 200,
      body: {
        name: repo,
        full_name: `${owner}/${repo}`,
        owner: { login: owner },
        private: !isPublic,
        visibility: isPublic ? 'public' : 'private',
      },
    };
  }

  function route(ctx: Context): Answer {
    const token = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(ctx.path);
    if (token && ctx.method === 'POST') return createAccessToken(ctx, Number(token[1]));
    const installation = /^\/repos\/([^/]+)\/([^/]+)\/installation$/.exec(ctx.path);
    if (installation && ctx.method === 'GET')
      return repositoryInstallation(ctx, decodeURIComponent(installation[1] ?? ''));
    return repository(ctx) ?? workflows(ctx) ?? runners(ctx) ?? notFound;
  }

  function send(response: ServerResponse, answer: Answer): void {
    const json = answer.body === undefined ? '' : JSON.stringify(answer.body);
    response.writeHead(answer.status, {
      ...(json === '' ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      'x-github-api-version-selected': '2022-11-28',
      ...answer.headers,
    });
    response.end(json);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const method = request.method ?? 'GET';
    const text = await readBody(request);
    const auth = authenticate(request.headers.authorization);
    const headers = recordedHeaders(request.headers);
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      return send(response, {
        status: 400,
        body: { message: 'Problems parsing JSON', documentation_url: docs },
      });
    }
    const path = url.pathname.startsWith(basePath) ? url.pathname.slice(basePath.length) : url.pathname;
    state.requests.push({ method, path: `${path}${url.search}`, headers, auth: auth.kind, body });

    const failure = failures.take(method, path);
    if (failure) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!response.destroyed) send(response, failure);
      }, failure.delayMs ?? 0);
      timers.add(timer);
      return;
    }
    // GitHub refuses requests without a User-Agent (https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api#user-agent).
    if (!request.headers['user-agent']) {
      return send(response, {
        status: 403,
        body: {
          message:
            'Request forbidden by administrative rules. Please make sure your request has a User-Agent header',
        },
      });
    }
    if (!url.pathname.startsWith(basePath)) return send(response, notFound);
    send(response, route({ method, path, query: url.searchParams, auth, body }));
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) =>
      send(response, { status: 500, body: { message: String(error) } }),
    );
  });
  const port = await listenOnLoopback(server);

  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    state,
    failNext: failures.failNext,
    failFor: failures.failFor,
    clearFailures: failures.clearFailures,
    failuresServed: failures.failuresServed,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      await closeServer(server);
    },
  };
}
