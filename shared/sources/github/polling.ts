import { type CutShort, keepingFound, keepingReserve, pollEach, type PollProblem } from '../poll-each';
import * as v from '../../schema/valibot';
import { ciBuildLinkSchema } from '../build-link';
import { CiUnavailableError } from '../errors';
import type { BuildEvent } from '../types';
import { failureFor, type FailureHints, type GithubFetch, type GithubResponse, unexpectedBody } from './api';
import { visibilityOf } from './visibility';
import { pathSafeName, type PollRepository } from './repository-name';
import { githubJobEvent } from './webhook';

/** The credential to read one repository's Actions with, and the App installation it belongs to. */
export interface PollAuth {
  readonly token: string;
  readonly installationId?: number;
}

export interface PollApi {
  readonly fetch: GithubFetch;
  readonly now: () => number;
  readonly authFor: (repository: PollRepository) => Promise<PollAuth>;
}

export interface PollSettings {
  readonly repositories: readonly PollRepository[];
  /** `per_page` of the runs list: at most this many queued runs are read per repository. */
  readonly maxRunsPerRepo: number;
  /** As the webhook's trust policy (trust.ts): otherwise a run of a public repository gets no agent. */
  readonly allowPublicRepositories: boolean;
}

/** A run's repository is served only when known not to be public, unless the operator allows public ones. */
const mayServe = (run: QueuedRun, settings: PollSettings): boolean =>
  settings.allowPublicRepositories || visibilityOf(run.repository) === 'not public';

/**
 * Polling stops while fewer requests than this are left in the rate-limit window: the same token
 * creates the JIT runners, and a build that is provisioning matters more than finding a lost one.
 */
export const pollRateLimitReserve = 100;

// GitHub's largest page (https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api).
const jobsPerPage = 100;
// A bound on a loop driven by GitHub's answers; a matrix makes at most 256 jobs.
const maxJobPages = 10;

const repositorySchema = v.object({
  name: pathSafeName,
  owner: v.object({ login: pathSafeName }),
  private: v.optional(v.boolean()),
  visibility: v.optional(v.string()),
});

/** https://docs.github.com/en/rest/actions/workflow-runs#list-workflow-runs-for-a-repository */
const runsSchema = v.object({
  total_count: v.pipe(v.int(), v.minValue(0)),
  workflow_runs: v.array(v.object({ id: v.pipe(v.int(), v.gtValue(0)), repository: repositorySchema })),
});
type QueuedRun = v.InferOutput<typeof runsSchema>['workflow_runs'][number];

/** https://docs.github.com/en/rest/actions/workflow-jobs#list-jobs-for-a-workflow-run */
const jobsPageSchema = v.object({
  total_count: v.pipe(v.int(), v.minValue(0)),
  jobs: v.array(v.unknown()),
});

/**
 * The job fields an event needs, with the webhook parser's limits. Each job is parsed alone: a job
 * that is not queued (or that the webhook parser would refuse too) is skipped, not the whole run.
 */
const queuedJobSchema = v.object({
  id: v.pipe(v.int(), v.minValue(0)),
  run_id: v.pipe(v.int(), v.minValue(0)),
  status: v.literal('queued'),
  labels: v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(200))), v.maxLength(100)),
  // Nullable in the REST schema, unlike in the webhook.
  html_url: ciBuildLinkSchema,
});
type QueuedJob = v.InferOutput<typeof queuedJobSchema>;

const nameOf = (repository: PollRepository): string => `${repository.owner}/${repository.repo}`;

const actionsPath = (repository: PollRepository): string =>
  `/repos/${encodeURIComponent(repository.owner)}/${encodeURIComponent(repository.repo)}/actions`;

/** Both endpoints document the Actions: read repository permission (classic tokens: repo, for a private repository). */
const hintsFor = (repository: PollRepository): FailureHints => ({
  forbidden:
    'the token or App needs the Actions: read repository permission (classic tokens: the repo scope)',
  notFound: `${nameOf(repository)} does not exist or the credentials cannot see it: check pollRepositories`,
});

/**
 * `x-ratelimit-remaining` and `x-ratelimit-reset` come with every answer
 * (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#checking-the-status-of-your-rate-limit).
 */
function reserveSpent(
  response: GithubResponse,
  purpose: string,
  nowMs: number,
): CiUnavailableError | undefined {
  const remaining = response.headers.get('x-ratelimit-remaining');
  if (remaining === null || !/^\d+$/.test(remaining) || Number(remaining) >= pollRateLimitReserve)
    return undefined;
  const reset = Number(response.headers.get('x-ratelimit-reset') ?? Number.NaN);
  const waitSeconds = Number.isInteger(reset) ? Math.max(1, reset - Math.floor(nowMs / 1000)) : 60;
  return new CiUnavailableError(
    `stopped polling GitHub after the request to ${purpose}: ${remaining} requests are left in the rate-limit window, kept for provisioning; retry in ${waitSeconds} s`,
    waitSeconds,
  );
}

/** Throws on any status but 200 (the reserve is the poll's fetch's: listQueuedBuilds). */
function checkAnswer(api: PollApi, response: GithubResponse, purpose: string, hints: FailureHints): void {
  if (response.status !== 200) throw failureFor(response, purpose, api.now(), hints);
}

/**
 * The newest `maxRuns` runs GitHub reports as queued (the list is newest first). A run is queued only
 * until one of its jobs starts, so a queued job of a run already in progress (a `needs` chain, a matrix
 * held back by max-parallel) is not found this way: the poll is a safety net, not a second webhook.
 */
async function listQueuedRuns(
  api: PollApi,
  token: string,
  repository: PollRepository,
  maxRuns: number,
): Promise<QueuedRun[]> {
  const purpose = `list the queued workflow runs of ${nameOf(repository)}`;
  const path = `${actionsPath(repository)}/runs?status=queued&per_page=${maxRuns}`;
  const response = await api.fetch({ method: 'GET', path, credential: token, purpose });
  checkAnswer(api, response, purpose, hintsFor(repository));
  const parsed = v.safeParse(runsSchema, response.body);
  if (!parsed.success) throw unexpectedBody(purpose, response.status, parsed.issues);
  return parsed.output.workflow_runs;
}

/**
 * The run's queued jobs, page by page, each page to `take`. `filter=latest` leaves out the jobs of earlier attempts of a
 * re-run. A run deleted since it was listed (404) has none.
 */
async function listQueuedJobs(
  api: PollApi,
  token: string,
  repository: PollRepository,
  runId: number,
  take: (jobs: QueuedJob[]) => void,
): Promise<void> {
  const purpose = `list the jobs of workflow run ${runId} of ${nameOf(repository)}`;
  const hints = hintsFor(repository);
  let seen = 0;
  for (let page = 1; page <= maxJobPages; page += 1) {
    const path = `${actionsPath(repository)}/runs/${runId}/jobs?filter=latest&per_page=${jobsPerPage}&page=${page}`;
    const response = await api.fetch({ method: 'GET', path, credential: token, purpose });
    if (response.status === 404) return;
    checkAnswer(api, response, purpose, hints);
    const parsed = v.safeParse(jobsPageSchema, response.body);
    if (!parsed.success) throw unexpectedBody(purpose, response.status, parsed.issues);
    const { jobs, total_count: total } = parsed.output;
    seen += jobs.length;
    // Page by page, so a later page's failure keeps what the earlier ones gave (keepingFound).
    take(jobs.flatMap(asQueuedJob));
    if (jobs.length < jobsPerPage || seen >= total) break;
  }
}

function asQueuedJob(job: unknown): QueuedJob[] {
  const parsed = v.safeParse(queuedJobSchema, job);
  return parsed.success ? [parsed.output] : [];
}

/** The event the `workflow_job` `queued` webhook for this job would have given, under its own delivery id. */
function queuedEvent(job: QueuedJob, run: QueuedRun, installationId: number | undefined): BuildEvent {
  const jobKey = String(job.id);
  return githubJobEvent('queued', `poll:${jobKey}`, {
    jobId: job.id,
    runId: job.run_id,
    labels: job.labels,
    url: job.html_url,
    // GitHub's spelling, as the webhook's repository object gives it, not the configured entry's.
    owner: run.repository.owner.login,
    repo: run.repository.name,
    installationId,
  });
}

const queuedBuildsOf = (
  api: PollApi,
  repository: PollRepository,
  settings: PollSettings,
): Promise<BuildEvent[] | CutShort> =>
  keepingFound(async (found) => {
    const auth = await api.authFor(repository);
    const runs = await listQueuedRuns(api, auth.token, repository, settings.maxRunsPerRepo);
    for (const run of runs.filter((candidate) => mayServe(candidate, settings))) {
      await listQueuedJobs(api, auth.token, repository, run.id, (jobs) =>
        found.push(...jobs.map((job) => queuedEvent(job, run, auth.installationId))),
      );
    }
  });

/**
 * The queued jobs of the queued runs of every repository, as `queued` BuildEvents. Requests go one
 * after another, as GitHub asks to avoid its secondary rate limits
 * (https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#avoid-concurrent-requests);
 * a refusal of one repository goes to `problem`, and a passing failure ends the poll with what was
 * read (../poll-each.ts).
 */
export const listQueuedBuilds = (
  api: PollApi,
  settings: PollSettings,
  problem?: PollProblem,
): Promise<BuildEvent[]> => {
  const reserve = keepingReserve(api.fetch, (answer, purpose) => reserveSpent(answer, purpose, api.now()));
  const polling: PollApi = {
    ...api,
    fetch: reserve.fetch,
    // A GitHub App's token calls GitHub too (its installation, a new token): none once the reserve is reached.
    authFor: async (repository) => {
      reserve.ensureOpen();
      return api.authFor(repository);
    },
  };
  return pollEach(
    settings.repositories,
    (repository) => queuedBuildsOf(polling, repository, settings),
    problem,
  );
};
