import { type CutShort, keepingReserve, pollEach, type PollProblem } from '../poll-each';
import * as v from '../../schema/valibot';
import { ciBuildLinkSchema } from '../build-link';
import { CiUnavailableError } from '../errors';
import type { BuildEvent } from '../types';
import {
  type BuildkiteFetch,
  type BuildkiteResponse,
  failureFor,
  type FailureHints,
  nextPagePath,
  unexpectedBody,
} from './api';
import { repositoryIdentity } from './trust';
import { buildkiteJobEvent, jobIdSchema, queryRulesSchema } from './webhook';

export interface PollApi {
  readonly fetch: BuildkiteFetch;
  /** Without a trailing slash: `Link` headers must stay on it. */
  readonly apiUrl: string;
}

export interface PollSettings {
  readonly organization: string;
  /** Pipeline slugs of the organization (sources.buildkite.pollPipelines, organization dropped). */
  readonly pipelines: readonly string[];
  /** As the webhook's trust policy (trust.ts): otherwise a public pipeline's job gets no agent. */
  readonly allowPublicPipelines: boolean;
}

/**
 * Polling stops while fewer requests than this are left in the organization's window (200 a minute,
 * https://buildkite.com/docs/apis/rest-api/limits): the same token stops agents, and every other
 * client of the organization shares the window.
 */
export const pollRateLimitReserve = 40;
// A bound on a loop driven by Buildkite's answers: 3 pages of 100 builds per pipeline.
const maxPages = 3;

const pipelineSchema = v.object({
  slug: v.string(),
  visibility: v.optional(v.nullable(v.string())),
  repository: v.optional(v.nullable(v.string())),
});

/** https://buildkite.com/docs/apis/rest-api/builds#list-builds-for-a-pipeline (jobs embedded). */
const buildsSchema = v.array(
  v.object({
    number: v.pipe(v.int(), v.minValue(0)),
    jobs: v.optional(v.array(v.unknown())),
    pull_request: v.optional(v.nullable(v.object({ repository: v.optional(v.nullable(v.string())) }))),
    pipeline: v.optional(pipelineSchema),
  }),
);
type Build = v.InferOutput<typeof buildsSchema>[number];

/** The job fields an event needs, with the webhook parser's limits; each job is parsed alone. */
const scheduledJobSchema = v.object({
  id: jobIdSchema,
  type: v.literal('script'),
  state: v.literal('scheduled'),
  agent_query_rules: v.optional(v.nullable(queryRulesSchema)),
  web_url: ciBuildLinkSchema,
});
type ScheduledJob = v.InferOutput<typeof scheduledJobSchema>;

const pipelinePath = (organization: string, pipeline: string): string =>
  `/v2/organizations/${encodeURIComponent(organization)}/pipelines/${encodeURIComponent(pipeline)}`;

const hintsFor = (organization: string, pipeline: string): FailureHints => ({
  forbidden: 'the API token needs the read_builds and read_pipelines scopes',
  notFound: `${organization}/${pipeline} does not exist or the API token cannot see it: check pollPipelines`,
});

/** The user window (`RateLimit-User-*`, https://buildkite.com/docs/apis/rest-api#rate-limiting) is smaller. */
export const pollUserRateLimitReserve = 10;

/**
 * Both windows' `*-Remaining` come with every answer: polling stops while either is nearly spent.
 * The error to stop with, if the answer to `purpose` left too few.
 */
function reserveSpent(response: BuildkiteResponse, purpose: string): CiUnavailableError | undefined {
  const windows = [
    { prefix: 'ratelimit', reserve: pollRateLimitReserve, what: "the organization's window" },
    { prefix: 'ratelimit-user', reserve: pollUserRateLimitReserve, what: "the API token's user window" },
  ];
  for (const { prefix, reserve, what } of windows) {
    const remaining = response.headers.get(`${prefix}-remaining`);
    if (remaining === null || !/^\d+$/.test(remaining) || Number(remaining) >= reserve) continue;
    const reset = response.headers.get(`${prefix}-reset`);
    const waitSeconds = reset !== null && /^\d{1,6}$/.test(reset) ? Math.max(1, Number(reset)) : 60;
    return new CiUnavailableError(
      `stopped polling Buildkite after the request to ${purpose}: ${remaining} requests are left in ${what}, kept for other work; retry in ${waitSeconds} s`,
      waitSeconds,
    );
  }
  return undefined;
}

async function get(
  api: PollApi,
  path: string,
  purpose: string,
  hints: FailureHints,
): Promise<BuildkiteResponse> {
  const response = await api.fetch({ method: 'GET', path, purpose });
  if (response.status !== 200) throw failureFor(response, purpose, hints);
  return response;
}

/**
 * The pipeline's visibility and repository (https://buildkite.com/docs/apis/rest-api/pipelines#get-a-pipeline),
 * read once per poll when public pipelines are refused: a build's embedded pipeline may not carry them.
 */
async function readPipeline(api: PollApi, settings: PollSettings, pipeline: string) {
  const purpose = `read pipeline ${settings.organization}/${pipeline}`;
  const response = await get(
    api,
    pipelinePath(settings.organization, pipeline),
    purpose,
    hintsFor(settings.organization, pipeline),
  );
  const parsed = v.safeParse(pipelineSchema, response.body);
  if (!parsed.success) throw unexpectedBody(purpose, response.status, parsed.issues);
  return parsed.output;
}

/**
 * Scheduled, running and failing builds, newest first: a running build still has scheduled jobs
 * after a `wait`, and a failing one (a job failed while others still run or wait: a parallel step's
 * other shards) has scheduled jobs that need an agent all the same.
 */
async function listActiveBuilds(
  api: PollApi,
  settings: PollSettings,
  pipeline: string,
): Promise<{ builds: Build[]; stoppedBy?: CiUnavailableError }> {
  const purpose = `list the scheduled, running and failing builds of ${settings.organization}/${pipeline}`;
  const builds: Build[] = [];
  let path: string | undefined =
    `${pipelinePath(settings.organization, pipeline)}/builds?state[]=scheduled&state[]=running&state[]=failing&per_page=100`;
  for (let page = 0; path !== undefined && page < maxPages; page += 1) {
    let response: BuildkiteResponse;
    try {
      response = await get(api, path, purpose, hintsFor(settings.organization, pipeline));
    } catch (error) {
      // A later page not read for now (the reserve, a rate limit, an outage): the pages read stand,
      // and the failure still ends the poll (pollEach).
      if (page > 0 && error instanceof CiUnavailableError) return { builds, stoppedBy: error };
      throw error;
    }
    const parsed = v.safeParse(buildsSchema, response.body);
    if (!parsed.success) throw unexpectedBody(purpose, response.status, parsed.issues);
    builds.push(...parsed.output);
    path = nextPagePath(response, api.apiUrl);
  }
  return { builds };
}

function asScheduledJob(job: unknown): ScheduledJob[] {
  const parsed = v.safeParse(scheduledJobSchema, job);
  return parsed.success ? [parsed.output] : [];
}

const isFork = (build: Build, repository: string | null | undefined): boolean => {
  const from = build.pull_request?.repository;
  if (from == null || from === '') return false;
  return repository == null || repositoryIdentity(from) !== repositoryIdentity(repository);
};

async function queuedBuildsOf(
  api: PollApi,
  settings: PollSettings,
  pipeline: string,
): Promise<BuildEvent[] | CutShort> {
  let repository: string | null | undefined;
  if (!settings.allowPublicPipelines) {
    const described = await readPipeline(api, settings, pipeline);
    // As the webhook's rule: only `private` is not public; anything else fails closed.
    if (described.visibility !== 'private') return [];
    repository = described.repository;
  }
  const { builds, stoppedBy } = await listActiveBuilds(api, settings, pipeline);
  const events = builds
    .filter((build) => settings.allowPublicPipelines || !isFork(build, repository))
    .flatMap((build) =>
      (build.jobs ?? []).flatMap(asScheduledJob).map((job) =>
        buildkiteJobEvent('queued', `poll:${job.id.toLowerCase()}`, {
          jobId: job.id,
          organization: settings.organization,
          pipeline,
          buildNumber: build.number,
          labels: job.agent_query_rules ?? [],
          url: job.web_url,
        }),
      ),
    );
  return stoppedBy ? { events, stoppedBy } : events;
}

/**
 * The scheduled command jobs of every polled pipeline, as the `queued` events their lost
 * `job.scheduled` webhooks would have given. Requests go one after another, none once a rate-limit
 * window is nearly spent; a refusal of one pipeline goes to `problem`, and a passing failure ends the
 * poll with what was read (../poll-each.ts).
 */
export function listQueuedBuilds(
  api: PollApi,
  settings: PollSettings,
  problem?: PollProblem,
): Promise<BuildEvent[]> {
  const polling = { ...api, fetch: keepingReserve(api.fetch, reserveSpent).fetch };
  return pollEach(settings.pipelines, (pipeline) => queuedBuildsOf(polling, settings, pipeline), problem);
}
