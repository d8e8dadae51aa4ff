import { type CutShort, keepingFound, keepingReserve, pollEach, type PollProblem } from '../poll-each';
import * as v from '../../schema/valibot';
import { ciBuildLinkSchema } from '../build-link';
import { CiUnavailableError } from '../errors';
import type { BuildEvent } from '../types';
import {
  failureFor,
  type FailureHints,
  type GitlabFetch,
  type GitlabResponse,
  projectRef,
  unexpectedBody,
} from './api';
import { projectMatches } from './project-match';
import { projectPathSchema } from './project-path';
import { servesTags } from './tags';
import { gitlabJobEvent, gitlabJobKey } from './webhook';

export interface PollApi {
  readonly fetch: GitlabFetch;
  readonly now: () => number;
}

export interface PollSettings {
  /** Full project paths (sources.gitlab.pollProjects). */
  readonly projects: readonly string[];
  /** The allow-list, checked again on GitLab's own spelling of each path. */
  readonly allowedProjects: readonly string[];
  readonly allowPublicProjects: boolean;
  /** sources.gitlab.tags: a pending job is reported only when all its tags are among them. */
  readonly tags: readonly string[];
}

/**
 * Polling stops while fewer requests than this are left in the rate-limit window: the same token
 * creates the runners, and a job that is provisioning matters more than finding a lost one.
 */
export const pollRateLimitReserve = 50;

// GitLab's largest page (https://docs.gitlab.com/api/rest/#pagination: per_page at most 100).
const jobsPerPage = 100;
// A bound on a loop driven by GitLab's answers: at most this many pending jobs per project and poll.
const maxJobPages = 5;

/** https://docs.gitlab.com/api/projects/#get-a-single-project */
const projectSchema = v.object({
  id: v.pipe(v.int(), v.gtValue(0)),
  path_with_namespace: projectPathSchema,
  visibility: v.optional(v.string()),
  web_url: v.optional(v.nullable(v.string())),
});
type Project = v.InferOutput<typeof projectSchema>;

/** https://docs.gitlab.com/api/jobs/#list-project-jobs; each job is parsed alone, a bad one skipped. */
const pendingJobSchema = v.object({
  id: v.pipe(v.int(), v.gtValue(0)),
  status: v.literal('pending'),
  tag_list: v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(255))), v.maxLength(100)),
  web_url: ciBuildLinkSchema,
});
type PendingJob = v.InferOutput<typeof pendingJobSchema>;

const hintsFor = (project: string): FailureHints => ({
  forbidden: 'the access token needs the read_api scope (or api) and access to the project and its jobs',
  notFound: `${project} does not exist or the access token cannot see it: check pollProjects`,
});

/**
 * GitLab sends `RateLimit-Remaining` with answers of rate-limited paths
 * (https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/, "Response headers").
 */
function reserveSpent(
  response: GitlabResponse,
  purpose: string,
  nowMs: number,
): CiUnavailableError | undefined {
  const remaining = response.headers.get('ratelimit-remaining');
  if (remaining === null || !/^\d+$/.test(remaining) || Number(remaining) >= pollRateLimitReserve)
    return undefined;
  const reset = response.headers.get('ratelimit-reset');
  const waitSeconds =
    reset !== null && /^\d{1,11}$/.test(reset) ? Math.max(1, Number(reset) - Math.floor(nowMs / 1000)) : 60;
  return new CiUnavailableError(
    `stopped polling GitLab after the request to ${purpose}: ${remaining} requests are left in the rate-limit window, kept for provisioning; retry in ${waitSeconds} s`,
    waitSeconds,
  );
}

async function get(api: PollApi, path: string, purpose: string, project: string): Promise<GitlabResponse> {
  const response = await api.fetch({ method: 'GET', path, purpose });
  if (response.status !== 200) throw failureFor(response, purpose, api.now(), hintsFor(project));
  return response;
}

async function readProject(api: PollApi, path: string): Promise<Project> {
  const purpose = `read project ${path}`;
  const response = await get(api, `/projects/${projectRef(path)}`, purpose, path);
  const parsed = v.safeParse(projectSchema, response.body);
  if (!parsed.success) throw unexpectedBody(purpose, response.status, parsed.issues);
  return parsed.output;
}

const jobPageSchema = v.array(v.unknown());

/** The project's pending jobs, page by page (`scope[]=pending`, newest first), each page to `take`. */
async function listPendingJobs(
  api: PollApi,
  project: Project,
  take: (jobs: PendingJob[]) => void,
): Promise<void> {
  const purpose = `list the pending jobs of ${project.path_with_namespace}`;
  for (let page = 1; page <= maxJobPages; page += 1) {
    const path = `/projects/${project.id}/jobs?scope[]=pending&per_page=${jobsPerPage}&page=${page}`;
    const response = await get(api, path, purpose, project.path_with_namespace);
    const parsed = v.safeParse(jobPageSchema, response.body);
    if (!parsed.success) throw unexpectedBody(purpose, response.status, parsed.issues);
    take(parsed.output.flatMap(asPendingJob));
    if (parsed.output.length < jobsPerPage) break;
  }
}

function asPendingJob(job: unknown): PendingJob[] {
  const parsed = v.safeParse(pendingJobSchema, job);
  return parsed.success ? [parsed.output] : [];
}

/** `visibility` of the projects API: only `private` and `internal` count as not public. */
const mayServe = (project: Project, settings: PollSettings): boolean =>
  settings.allowedProjects.some((pattern) => projectMatches(pattern, project.path_with_namespace)) &&
  (settings.allowPublicProjects || project.visibility === 'private' || project.visibility === 'internal');

const queuedBuildsOf = (
  api: PollApi,
  path: string,
  settings: PollSettings,
): Promise<BuildEvent[] | CutShort> =>
  keepingFound(async (found) => {
    const project = await readProject(api, path);
    if (!mayServe(project, settings)) return;
    await listPendingJobs(api, project, (jobs) =>
      found.push(
        ...jobs
          .filter((job) => servesTags(settings.tags, job.tag_list))
          .map((job) =>
            gitlabJobEvent('queued', `poll:${gitlabJobKey(project.id, job.id)}`, {
              projectId: project.id,
              // GitLab's spelling, as the webhook's project object gives it, not the configured entry's.
              projectPath: project.path_with_namespace,
              jobId: job.id,
              tags: settings.tags,
              url: job.web_url,
            }),
          ),
      ),
    );
  });

/**
 * The pending jobs of every polled project that this source serves, as `queued` BuildEvents. Requests
 * go one after another; a refusal of one project goes to `problem`, and a passing failure ends the
 * poll with what was read (../poll-each.ts).
 */
export const listQueuedBuilds = (
  api: PollApi,
  settings: PollSettings,
  problem?: PollProblem,
): Promise<BuildEvent[]> => {
  const polling: PollApi = {
    ...api,
    fetch: keepingReserve(api.fetch, (answer, purpose) => reserveSpent(answer, purpose, api.now())).fetch,
  };
  return pollEach(settings.projects, (path) => queuedBuildsOf(polling, path, settings), problem);
};
