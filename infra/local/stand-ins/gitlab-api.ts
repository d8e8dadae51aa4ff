/**
 * A fake of the few GitLab REST API v4 endpoints the GitLab adapter calls, written from the public docs:
 * - POST /api/v4/user/runners (https://docs.gitlab.com/api/users/#create-a-runner-linked-to-a-user):
 *   201 `{id, token, token_expires_at}`, the token `glrt-` prefixed
 * - DELETE /api/v4/runners/:id (https://docs.gitlab.com/api/runners/#delete-a-runner): 204, 404
 * - GET /api/v4/runners/:id/jobs?status= (https://docs.gitlab.com/api/runners/#list-jobs-processed-by-a-runner):
 *   the job a test says the runner runs (`runningJobId`), as `running`; 404 for an unknown runner
 * - GET /api/v4/projects/:id/runners?type= (https://docs.gitlab.com/api/runners/#list-projects-runners)
 * - GET /api/v4/projects/:id (https://docs.gitlab.com/api/projects/#get-a-single-project)
 * - GET /api/v4/projects/:id/jobs/:job_id and GET /api/v4/projects/:id/jobs?scope[]=
 *   (https://docs.gitlab.com/api/jobs/), paginated with per_page (at most 100) and page, with the
 *   x-next-page header
 * `:id` is a project id or its URL-encoded path. Every call needs a known access token in the
 * PRIVATE-TOKEN header or as a Bearer token (401 otherwise). Projects, jobs and runners live in memory;
 * a job the stand-in was not told of is answered as pending with `defaultJobTags`, so that the local
 * tools, which send Job Hooks without filling the stand-in, get runners. Every request is recorded
 * without its token; the next calls can be told to fail with any status and headers.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { createFailureSchedule, type FailureControls } from './failure-schedule';
import { closeServer, listenOnLoopback, readBody, recordedHeaders } from './http-server';

export interface FakeGitlabProject {
  readonly id: number;
  /** GitLab's spelling of `path_with_namespace`; requests by path match it without regard to case. */
  readonly path: string;
  readonly visibility?: 'private' | 'internal' | 'public';
}

export interface FakeGitlabJob {
  readonly id: number;
  readonly projectId: number;
  status: string;
  readonly tagList: readonly string[];
}

export interface FakeGitlabRunner {
  readonly id: number;
  readonly projectId: number;
  readonly description: string;
  readonly tagList: readonly string[];
  readonly runUntagged: boolean;
  readonly locked: boolean;
  readonly token: string;
  /** The job it runs now, if a test says so (GitLab tells it by GET /runners/:id/jobs?status=running). */
  runningJobId?: number;
}

export interface FakeGitlabOptions {
  /** Access tokens accepted (personal, group or project access tokens). */
  readonly tokens: readonly string[];
  readonly projects?: readonly FakeGitlabProject[];
  /** Tags of a job the stand-in was not told of, answered as pending; none: such a job is 404. */
  readonly defaultJobTags?: readonly string[];
}

export interface FakeGitlabRequest {
  readonly method: string;
  /** Path and query below /api/v4. */
  readonly path: string;
  /** Lower-cased, without PRIVATE-TOKEN and Authorization. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

export interface FakeGitlabFailure {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** Only fail requests with this method and a path (below /api/v4) matching this. */
  readonly method?: string;
  readonly path?: RegExp;
}

export interface FakeGitlabState {
  readonly projects: FakeGitlabProject[];
  readonly jobs: FakeGitlabJob[];
  readonly runners: FakeGitlabRunner[];
  readonly requests: FakeGitlabRequest[];
}

export interface FakeGitlab extends FailureControls<FakeGitlabFailure> {
  /** The instance URL, to pass as apiUrl (the API is at /api/v4 below it). */
  readonly url: string;
  readonly state: FakeGitlabState;
  close(): Promise<void>;
}

interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

const unauthorized: Answer = { status: 401, body: { message: '401 Unauthorized' } };
const notFound = (what: string): Answer => ({ status: 404, body: { message: `404 ${what} Not Found` } });

const createRunnerSchema = z.object({
  runner_type: z.enum(['instance_type', 'group_type', 'project_type']),
  project_id: z.number().int().optional(),
  description: z.string().optional(),
  tag_list: z.array(z.string().min(1)).optional(),
  run_untagged: z.boolean().optional(),
  locked: z.boolean().optional(),
  maintenance_note: z.string().max(1024).optional(),
});

/** `per_page` (default 20, at most 100) and `page` (from 1), with GitLab's x-next-page header. */
function page<T>(query: URLSearchParams, items: readonly T[], toJson: (item: T) => unknown): Answer {
  const perPage = Math.min(Number(query.get('per_page') ?? 20), 100);
  const number = Number(query.get('page') ?? 1);
  const slice = items.slice((number - 1) * perPage, number * perPage);
  const next = number * perPage < items.length ? String(number + 1) : '';
  return { status: 200, body: slice.map(toJson), headers: { 'x-next-page': next, 'x-page': String(number) } };
}

export async function startFakeGitlab(options: FakeGitlabOptions): Promise<FakeGitlab> {
  const tokens = new Set(options.tokens);
  const state: FakeGitlabState = {
    projects: [...(options.projects ?? [{ id: 4242, path: 'acme/app', visibility: 'private' }])],
    jobs: [],
    runners: [],
    requests: [],
  };
  const failures = createFailureSchedule<FakeGitlabFailure>((failure) => String(failure.status));
  let nextRunnerId = 9000;

  const projectOf = (ref: string): FakeGitlabProject | undefined => {
    const decoded = decodeURIComponent(ref);
    return /^\d+$/.test(decoded)
      ? state.projects.find((project) => project.id === Number(decoded))
      : state.projects.find((project) => project.path.toLowerCase() === decoded.toLowerCase());
  };

  const jobOf = (project: FakeGitlabProject, jobId: number): FakeGitlabJob | undefined => {
    const known = state.jobs.find((job) => job.projectId === project.id && job.id === jobId);
    if (known || options.defaultJobTags === undefined) return known;
    return { id: jobId, projectId: project.id, status: 'pending', tagList: options.defaultJobTags };
  };

  const jobJson = (project: FakeGitlabProject) => (job: FakeGitlabJob) => ({
    id: job.id,
    name: 'build',
    stage: 'test',
    status: job.status,
    tag_list: job.tagList,
    created_at: new Date().toISOString(),
    web_url: `https://gitlab.example.com/${project.path}/-/jobs/${job.id}`,
    runner: null,
  });

  const runnerJson = (runner: FakeGitlabRunner) => ({
    id: runner.id,
    description: runner.description,
    paused: false,
    is_shared: false,
    runner_type: 'project_type',
    online: false,
    status: 'never_contacted',
  });

  function createRunner(body: unknown): Answer {
    const parsed = createRunnerSchema.safeParse(body);
    if (!parsed.success)
      return { status: 400, body: { error: parsed.error.issues[0]?.message ?? 'invalid' } };
    const { runner_type: type, project_id: projectId } = parsed.data;
    if (type !== 'project_type' || projectId === undefined)
      return { status: 400, body: { message: 'project_id is missing' } };
    if (!state.projects.some((project) => project.id === projectId)) return notFound('Project');
    const runner: FakeGitlabRunner = {
      id: nextRunnerId++,
      projectId,
      description: parsed.data.description ?? '',
      tagList: parsed.data.tag_list ?? [],
      runUntagged: parsed.data.run_untagged ?? true,
      locked: parsed.data.locked ?? false,
      token: `glrt-${randomBytes(15).toString('base64url')}`,
    };
    state.runners.push(runner);
    return { status: 201, body: { id: runner.id, token: runner.token, token_expires_at: null } };
  }

  function deleteRunner(id: number): Answer {
    const index = state.runners.findIndex((runner) => runner.id === id);
    if (index < 0) return notFound('Runner');
    state.runners.splice(index, 1);
    return { status: 204 };
  }

  /** The jobs a runner processes: only the one it runs now is kept here, as `running`. */
  function runnerJobs(id: number, query: URLSearchParams): Answer {
    const runner = state.runners.find((candidate) => candidate.id === id);
    if (runner === undefined) return notFound('Runner');
    const status = query.get('status');
    const running = runner.runningJobId === undefined ? [] : [{ id: runner.runningJobId, status: 'running' }];
    return page(query, status === null || status === 'running' ? running : [], (job) => job);
  }

  /** `/projects/:id`, `/projects/:id/jobs`, `/projects/:id/jobs/:job_id`, `/projects/:id/runners`. */
  function projects(method: string, path: string, query: URLSearchParams): Answer | undefined {
    const match = /^\/projects\/([^/]+)(\/jobs(?:\/(\d+))?|\/runners)?$/.exec(path);
    if (!match || method !== 'GET') return undefined;
    const project = projectOf(match[1] ?? '');
    if (project === undefined) return notFound('Project');
    if (match[2] === undefined)
      return {
        status: 200,
        body: {
          id: project.id,
          path_with_namespace: project.path,
          visibility: project.visibility ?? 'private',
          web_url: `https://gitlab.example.com/${project.path}`,
        },
      };
    if (match[2] === '/runners')
      return page(
        query,
        state.runners.filter((runner) => runner.projectId === project.id),
        runnerJson,
      );
    if (match[3] !== undefined) {
      const job = jobOf(project, Number(match[3]));
      return job === undefined ? notFound('') : { status: 200, body: jobJson(project)(job) };
    }
    const scopes = query.getAll('scope[]');
    const jobs = state.jobs
      .filter((job) => job.projectId === project.id && (scopes.length === 0 || scopes.includes(job.status)))
      .sort((a, b) => b.id - a.id);
    return page(query, jobs, jobJson(project));
  }

  function route(method: string, path: string, query: URLSearchParams, body: unknown): Answer {
    if (method === 'POST' && path === '/user/runners') return createRunner(body);
    const runner = /^\/runners\/(\d+)$/.exec(path);
    if (runner && method === 'DELETE') return deleteRunner(Number(runner[1]));
    const jobsOfRunner = /^\/runners\/(\d+)\/jobs$/.exec(path);
    if (jobsOfRunner && method === 'GET') return runnerJobs(Number(jobsOfRunner[1]), query);
    return projects(method, path, query) ?? { status: 404, body: { error: '404 Not Found' } };
  }

  function send(response: ServerResponse, answer: Answer): void {
    const json = answer.body === undefined ? '' : JSON.stringify(answer.body);
    response.writeHead(answer.status, {
      ...(json === '' ? {} : { 'content-type': 'application/json' }),
      ...answer.headers,
    });
    response.end(json);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const method = request.method ?? 'GET';
    const text = await readBody(request);
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const token = request.headers['private-token'] ?? bearer;
    const headers = recordedHeaders(request.headers, ['authorization', 'private-token', 'cookie']);
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      return send(response, { status: 400, body: { error: 'body is not JSON' } });
    }
    if (!url.pathname.startsWith('/api/v4/'))
      return send(response, { status: 404, body: { error: '404 Not Found' } });
    const path = url.pathname.slice('/api/v4'.length);
    state.requests.push({ method, path: `${path}${url.search}`, headers, body });
    const failure = failures.take(method, path);
    if (failure) return send(response, failure);
    if (typeof token !== 'string' || !tokens.has(token)) return send(response, unauthorized);
    send(response, route(method, path, url.searchParams, body));
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) =>
      send(response, { status: 500, body: { message: String(error) } }),
    );
  });
  const port = await listenOnLoopback(server);

  return {
    url: `http://127.0.0.1:${port}`,
    state,
    failNext: failures.failNext,
    failFor: failures.failFor,
    clearFailures: failures.clearFailures,
    failuresServed: failures.failuresServed,
    async close() {
      await closeServer(server);
    },
  };
}
