/**
 * A fake of the few Buildkite REST endpoints the Buildkite adapter calls, written from the public docs:
 * - GET /v2/organizations/{org}/agents?name=&per_page=&page= (connected agents only) and
 *   PUT /v2/organizations/{org}/agents/{id}/stop: 204, 400 "Can only stop connected agents"
 *   (https://buildkite.com/docs/apis/rest-api/agents)
 * - GET /v2/organizations/{org}/pipelines/{slug} (https://buildkite.com/docs/apis/rest-api/pipelines#get-a-pipeline)
 * - GET /v2/organizations/{org}/pipelines/{slug}/builds?state[]=&per_page=&page= with jobs embedded,
 *   paginated with a Link header (https://buildkite.com/docs/apis/rest-api/builds,
 *   https://buildkite.com/docs/apis/rest-api#pagination), and one build by its number
 *   (GET .../builds/{number}, https://buildkite.com/docs/apis/rest-api/builds#get-a-build)
 * Every call needs `Authorization: Bearer <token>` (401 otherwise) and the scope its page names (403
 * otherwise); every answer carries the RateLimit-* and RateLimit-User-* headers of
 * https://buildkite.com/docs/apis/rest-api#rate-limiting.
 * Agents register themselves in real life (the pod's agent token); tests and the kit call `connect`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createFailureSchedule, type FailureControls } from './failure-schedule';
import { closeServer, listenOnLoopback, readBody, recordedHeaders } from './http-server';

export type BuildkiteScope = 'read_agents' | 'write_agents' | 'read_builds' | 'read_pipelines';
export const allBuildkiteScopes: readonly BuildkiteScope[] = [
  'read_agents',
  'write_agents',
  'read_builds',
  'read_pipelines',
];

export interface FakeBuildkiteOptions {
  readonly organization?: string;
  readonly apiToken?: string;
  readonly scopes?: readonly BuildkiteScope[];
}

export interface FakeBuildkiteAgent {
  readonly id: string;
  readonly name: string;
  connectionState: 'connected' | 'stopping' | 'stopped' | 'disconnected';
  readonly metaData: readonly string[];
  /** The job it runs, if any (a stop without force waits for it). */
  jobId?: string;
}

export interface FakeBuildkiteJob {
  readonly id: string;
  readonly type?: 'script' | 'waiter' | 'manual' | 'trigger';
  state: string;
  readonly agentQueryRules: readonly string[];
}

export interface FakeBuildkiteBuild {
  readonly pipeline: string;
  readonly number: number;
  state: 'scheduled' | 'running' | 'failing' | 'passed' | 'failed' | 'canceled';
  readonly jobs: FakeBuildkiteJob[];
  /** `build.pull_request.repository`, for a pull request build. */
  readonly pullRequestRepository?: string;
}

export interface FakeBuildkitePipeline {
  readonly slug: string;
  readonly visibility: 'private' | 'public';
  readonly repository: string;
}

export interface FakeBuildkiteRequest {
  readonly method: string;
  readonly path: string;
  /** Lower-cased, without Authorization. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface FakeBuildkiteFailure {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly method?: string;
  readonly path?: RegExp;
}

export interface FakeBuildkiteState {
  readonly agents: FakeBuildkiteAgent[];
  readonly pipelines: FakeBuildkitePipeline[];
  readonly builds: FakeBuildkiteBuild[];
  readonly requests: FakeBuildkiteRequest[];
  /** What RateLimit-Remaining says (the organization window); tests lower it. */
  rateLimitRemaining: number;
  /** What RateLimit-User-Remaining says (the token's user window). */
  rateLimitUserRemaining: number;
}

export interface FakeBuildkite extends FailureControls<FakeBuildkiteFailure> {
  /** The API root, to pass as apiUrl. */
  readonly url: string;
  readonly organization: string;
  readonly apiToken: string;
  readonly state: FakeBuildkiteState;
  /** An agent connecting with the agent token, as a started pod's would. */
  connect(name: string, metaData?: readonly string[]): FakeBuildkiteAgent;
  close(): Promise<void>;
}

interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

const message = (status: number, text: string): Answer => ({ status, body: { message: text } });
const notFound = message(404, 'Not Found');

export async function startFakeBuildkite(options: FakeBuildkiteOptions = {}): Promise<FakeBuildkite> {
  const organization = options.organization ?? 'acme';
  const apiToken = options.apiToken ?? 'bkua_fake0123456789abcdef0123456789abcdef01';
  const scopes = new Set(options.scopes ?? allBuildkiteScopes);
  const state: FakeBuildkiteState = {
    agents: [],
    pipelines: [],
    builds: [],
    requests: [],
    rateLimitRemaining: 200,
    rateLimitUserRemaining: 50,
  };
  const failures = createFailureSchedule<FakeBuildkiteFailure>((failure) => String(failure.status));
  let url = '';

  const agentJson = (agent: FakeBuildkiteAgent) => ({
    id: agent.id,
    url: `${url}/v2/organizations/${organization}/agents/${agent.id}`,
    name: agent.name,
    connection_state: agent.connectionState,
    meta_data: agent.metaData,
    job: agent.jobId === undefined ? null : { id: agent.jobId },
  });

  const pipelineJson = (pipeline: FakeBuildkitePipeline) => ({
    slug: pipeline.slug,
    url: `${url}/v2/organizations/${organization}/pipelines/${pipeline.slug}`,
    visibility: pipeline.visibility,
    repository: pipeline.repository,
  });

  const buildJson = (build: FakeBuildkiteBuild) => ({
    number: build.number,
    state: build.state,
    web_url: `https://buildkite.com/${organization}/${build.pipeline}/builds/${build.number}`,
    pull_request:
      build.pullRequestRepository === undefined
        ? null
        : { id: '1', base: 'main', repository: build.pullRequestRepository },
    jobs: build.jobs.map((job) => ({
      id: job.id,
      type: job.type ?? 'script',
      state: job.state,
      agent_query_rules: job.agentQueryRules,
      web_url: `https://buildkite.com/${organization}/${build.pipeline}/builds/${build.number}#${job.id}`,
    })),
  });

  /** `per_page` (at most 100) and `page`, with a Link header to the next page. */
  function paged(query: URLSearchParams, path: string, items: readonly unknown[]): Answer {
    const perPage = Math.min(Number(query.get('per_page') ?? 30), 100);
    const page = Number(query.get('page') ?? 1);
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const nextQuery = new URLSearchParams(query);
    nextQuery.set('page', String(page + 1));
    const more = page * perPage < items.length;
    return {
      status: 200,
      body: slice,
      headers: more ? { link: `<${url}${path}?${nextQuery.toString()}>; rel="next"` } : {},
    };
  }

  function route(method: string, path: string, query: URLSearchParams): Answer {
    const prefix = `/v2/organizations/${organization}`;
    if (!path.startsWith(`${prefix}/`)) return notFound;
    const rest = path.slice(prefix.length);
    const need = (scope: BuildkiteScope): Answer | undefined =>
      scopes.has(scope) ? undefined : message(403, `Your access token doesn't have the ${scope} scope`);
    if (rest === '/agents' && method === 'GET') {
      const name = query.get('name');
      const connected = state.agents.filter(
        (a) => a.connectionState === 'connected' && (name === null || a.name === name),
      );
      return need('read_agents') ?? paged(query, path, connected.map(agentJson));
    }
    const stop = /^\/agents\/([^/]+)\/stop$/.exec(rest);
    if (stop && method === 'PUT') {
      const denied = need('write_agents');
      if (denied) return denied;
      const agent = state.agents.find((a) => a.id === decodeURIComponent(stop[1] ?? ''));
      if (agent === undefined) return notFound;
      if (agent.connectionState !== 'connected') return message(400, 'Can only stop connected agents');
      agent.connectionState = 'stopped';
      return { status: 204 };
    }
    const pipeline = /^\/pipelines\/([^/]+)(\/builds)?(?:\/(\d+))?$/.exec(rest);
    if (pipeline && method === 'GET') {
      const slug = decodeURIComponent(pipeline[1] ?? '');
      const found = state.pipelines.find((p) => p.slug === slug);
      if (pipeline[2] === undefined)
        return need('read_pipelines') ?? (found ? { status: 200, body: pipelineJson(found) } : notFound);
      if (pipeline[3] !== undefined) {
        const build = state.builds.find((b) => b.pipeline === slug && b.number === Number(pipeline[3]));
        return need('read_builds') ?? (build ? { status: 200, body: buildJson(build) } : notFound);
      }
      const states = query.getAll('state[]');
      const builds = state.builds
        .filter((b) => b.pipeline === slug && (states.length === 0 || states.includes(b.state)))
        .sort((a, b) => b.number - a.number);
      return need('read_builds') ?? paged(query, path, builds.map(buildJson));
    }
    return notFound;
  }

  function send(response: ServerResponse, answer: Answer): void {
    response.writeHead(answer.status, {
      'content-type': 'application/json; charset=utf-8',
      'ratelimit-limit': '200',
      'ratelimit-remaining': String(state.rateLimitRemaining),
      'ratelimit-reset': '42',
      'ratelimit-user-limit': '50',
      'ratelimit-user-remaining': String(state.rateLimitUserRemaining),
      'ratelimit-user-reset': '42',
      ...answer.headers,
    });
    response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const parsed = new URL(request.url ?? '/', 'http://fake');
    const method = request.method ?? 'GET';
    const headers = recordedHeaders(request.headers);
    state.requests.push({ method, path: `${parsed.pathname}${parsed.search}`, headers, body });
    const failure = failures.take(method, parsed.pathname);
    if (failure) {
      response.writeHead(failure.status, { ...failure.headers });
      response.end(failure.body ?? '');
      return;
    }
    if (request.headers.authorization !== `Bearer ${apiToken}`)
      return send(response, message(401, 'Authentication required. Please supply a valid API Access Token'));
    send(response, route(method, parsed.pathname, parsed.searchParams));
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => send(response, message(500, String(error))));
  });
  url = `http://127.0.0.1:${await listenOnLoopback(server)}`;

  return {
    url,
    organization,
    apiToken,
    state,
    failNext: failures.failNext,
    failFor: failures.failFor,
    clearFailures: failures.clearFailures,
    failuresServed: failures.failuresServed,
    connect(name, metaData = []) {
      const agent: FakeBuildkiteAgent = { id: randomUUID(), name, connectionState: 'connected', metaData };
      state.agents.push(agent);
      return agent;
    },
    async close() {
      await closeServer(server);
    },
  };
}
