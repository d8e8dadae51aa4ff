import type * as v from '../../schema/valibot';
import { makesNoAgents } from '../bundle';
import { parseDetails } from '../details';
import { CiRejectedError } from '../errors';
import type { AgentCredentials, AgentRequest, CiSourceAdapter } from '../types';
import { createGitlabFetch } from './api';
import { gitlabModule } from './module';
import {
  createRunner,
  deleteRunner,
  findRunnersByDescription,
  getJob,
  getProject,
  type GitlabProject,
  type RunnerApi,
} from './runners';
import { servesTags } from './tags';

export interface GitlabSourceOptions {
  /** The instance URL (https://gitlab.com); the REST API is at `<apiUrl>/api/v4`, runners connect to it. */
  readonly apiUrl?: string;
  /** An access token with the create_runner, manage_runner and read_api scopes (docs/gitlab.md). */
  readonly token: string;
  /** The job tags this source serves (sources.gitlab.tags). */
  readonly tags: readonly string[];
  /** Project paths whose pending jobs `listQueuedBuilds` reports. Empty: no `listQueuedBuilds`. */
  readonly pollProjects?: readonly string[];
  /** The allow-list (sources.gitlab.projects), which polling checks again. */
  readonly projects?: readonly string[];
  readonly allowPublicProjects?: boolean;
  /** Where the shell executor clones and builds, inside the pod. */
  readonly buildsDir?: string;
  readonly requestTimeoutMs?: number;
  /** Milliseconds since the epoch; tests pass a clock. */
  readonly now?: () => number;
}

/** Every default, in one place. */
export const gitlabSourceDefaults = {
  apiUrl: 'https://gitlab.com',
  buildsDir: '/tmp/builds',
  requestTimeoutMs: 10_000,
} as const;

/**
 * The variables `gitlab-runner run-single` reads (RunnerCredentials and RunnerSettings of
 * https://gitlab.com/gitlab-org/gitlab-runner/-/blob/main/common/config.go): the runner token goes in
 * the pod's Secret only.
 */
export const runnerTokenEnvName = 'CI_SERVER_TOKEN';

type GitlabDetails = v.InferOutput<typeof gitlabModule.detailsSchema>;

const gitlabDetails = (request: Pick<AgentRequest, 'requestId' | 'details'>): GitlabDetails =>
  parseDetails(gitlabModule.detailsSchema, request);

function withDefaults(options: GitlabSourceOptions) {
  const apiUrl = (options.apiUrl ?? gitlabSourceDefaults.apiUrl).replace(/\/+$/, '');
  // Bad options fail when the adapter is built (at cold start), not on the first build.
  if (!URL.canParse(apiUrl) || !/^https?:$/.test(new URL(apiUrl).protocol))
    throw new Error(`GitLab apiUrl ${apiUrl} is not an http(s) URL`);
  if (options.token === '') throw new Error('GitLab apiToken is empty');
  if (options.tags.length === 0) throw new Error('GitLab tags must name at least one tag');
  const requestTimeoutMs = options.requestTimeoutMs ?? gitlabSourceDefaults.requestTimeoutMs;
  if (!(requestTimeoutMs > 0))
    throw new Error(`GitLab requestTimeoutMs must be positive, not ${requestTimeoutMs}`);
  return {
    apiUrl,
    token: options.token,
    tags: options.tags,
    pollProjects: options.pollProjects ?? [],
    projects: options.projects ?? [],
    allowPublicProjects: options.allowPublicProjects ?? false,
    buildsDir: options.buildsDir ?? gitlabSourceDefaults.buildsDir,
    requestTimeoutMs,
    now: options.now ?? Date.now,
  };
}

/** Parses a runner id we stored as `externalId`. */
function runnerIdFrom(externalId: string): number {
  if (!/^\d{1,15}$/.test(externalId))
    throw new CiRejectedError(`GitLab runner id ${externalId} is not a number`);
  return Number(externalId);
}

/**
 * The tags the runner gets: the job's own, read from GitLab, because the Job Hook does not carry them.
 * A job this source cannot serve is refused for good: one gone from `pending` (another runner took
 * it, or it was cancelled), one without tags, one asking for a tag not in `tags`.
 */
async function tagsOfServableJob(api: RunnerApi, details: GitlabDetails, tags: readonly string[]) {
  const job = await getJob(api, details, details.jobId);
  const name = `job ${details.jobId} of ${details.projectPath}`;
  if (job === undefined) throw new CiRejectedError(`GitLab has no ${name}`, 404);
  if (job.status !== 'pending')
    throw new CiRejectedError(`${name} is ${job.status}, no longer pending: it needs no runner`);
  if (!servesTags(tags, job.tag_list))
    throw new CiRejectedError(
      job.tag_list.length === 0
        ? `${name} has no tags: a Pitcrew runner takes tagged jobs only`
        : `${name} asks for tags [${job.tag_list.join(', ')}], not all among sources.gitlab.tags`,
    );
  return job.tag_list;
}

/**
 * The project a runner would be made for, as GitLab gives it, against what the delivery stated and
 * the trust rules judged: the runner is made for the delivery's project id, which nothing tied to
 * the path judged, and its visibility was the sender's word. A secret's holder could otherwise name
 * an allowed private path with another project's id, or call a public project private.
 */
function refuseUntrustedProject(project: GitlabProject, details: GitlabDetails, allowPublic: boolean): void {
  if (project.path.toLowerCase() !== details.projectPath.toLowerCase())
    throw new CiRejectedError(
      `project ${details.projectId} is ${project.path} at GitLab, not ${details.projectPath} as its delivery said`,
    );
  if (!allowPublic && project.visibility !== 'private' && project.visibility !== 'internal')
    throw new CiRejectedError(
      `${project.path} is ${project.visibility} at GitLab, though its delivery said it was not: anyone's merge request could run on the runner (sources.gitlab.allowPublicProjects is false)`,
    );
}

/** GitLab CI: Job Hooks in, one project runner per pending job out, run by `gitlab-runner run-single`. */
export function createGitlabSource(options: GitlabSourceOptions): CiSourceAdapter {
  const settings = withDefaults(options);
  const api: RunnerApi = { fetch: createGitlabFetch(settings), now: settings.now };
  const poll = {
    projects: settings.pollProjects,
    allowedProjects: settings.projects,
    allowPublicProjects: settings.allowPublicProjects,
    tags: settings.tags,
  };

  return {
    name: 'gitlab',

    // The reaper makes no agents, so its bundle leaves this out (../bundle.ts).
    createAgentCredentials:
      // eslint-disable-next-line no-restricted-properties -- the bundle's name, set at build, not a setting
      process.env.PITCREW_BUNDLE === 'reap'
        ? makesNoAgents
        : async (request): Promise<AgentCredentials> => {
            const details = gitlabDetails(request);
            // Both at once; when both fail, a permanent refusal wins over a passing outage, so the
            // answer does not depend on which read failed first.
            const [project, job] = await Promise.allSettled([
              getProject(api, details),
              tagsOfServableJob(api, details, settings.tags),
            ]);
            if (project.status === 'rejected' || job.status === 'rejected') {
              const reasons = [project, job].flatMap((read) =>
                read.status === 'rejected' ? [read.reason as unknown] : [],
              );
              throw reasons.find((reason) => reason instanceof CiRejectedError) ?? reasons[0];
            }
            refuseUntrustedProject(project.value, details, settings.allowPublicProjects);
            const jobTags = job.value;
            const runner = await createRunner(api, details, {
              description: request.agentName,
              tags: jobTags,
              maintenanceNote: `Pitcrew agent for request ${request.requestId}, job ${details.jobId}`,
            });
            return {
              secretEnv: { [runnerTokenEnvName]: runner.token },
              env: {
                CI_SERVER_URL: settings.apiUrl,
                RUNNER_NAME: request.agentName,
                RUNNER_EXECUTOR: 'shell',
                RUNNER_BUILDS_DIR: settings.buildsDir,
              },
              externalId: String(runner.runnerId),
            };
          },

    // Only the reaper asks (../types.ts); provision's bundle leaves it out.
    // eslint-disable-next-line no-restricted-properties -- the bundle's name, set at build, not a setting
    ...(process.env.PITCREW_BUNDLE === 'provision'
      ? {}
      : {
          async buildWaits(request): Promise<boolean> {
            const details = gitlabDetails(request);
            return (await getJob(api, details, details.jobId))?.status === 'pending';
          },
        }),

    async deregisterAgent(request): Promise<void> {
      const details = gitlabDetails(request);
      // The recorded runner, and any other of the agent's name: a creation whose answer was lost (a
      // timeout after GitLab made it) was retried, and the first runner is known by its name alone.
      // The recorded one goes first, so that it is gone even if the listing fails.
      const recorded = request.externalId === undefined ? undefined : runnerIdFrom(request.externalId);
      const force = request.evenIfBusy === true;
      if (recorded !== undefined) await deleteRunner(api, details, recorded, force);
      // No name, no lookup: every runner without a description would match.
      if (request.agentName === '') return;
      for (const runnerId of await findRunnersByDescription(api, details, request.agentName))
        if (runnerId !== recorded) await deleteRunner(api, details, runnerId, force);
    },

    // Left undefined without projects to poll, so the reaper knows there is nothing to poll.
    // Polling loads on the first poll (../pollers.ts).
    ...(poll.projects.length === 0
      ? {}
      : {
          listQueuedBuilds: async (problem) =>
            (await import('../pollers')).listGitlabQueuedBuilds(api, poll, problem),
        }),
  };
}
