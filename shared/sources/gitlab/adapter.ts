import type * as v from '../../schema/valibot';
import { parseDetails } from '../details';
import { CiRejectedError } from '../errors';
import type { AgentCredentials, AgentRequest, CiSourceAdapter } from '../types';
import {
  gitlabAdapterCalls,
  parseGitlabAdapterOptions,
  type GitlabAdapterSettings,
  type GitlabSourceOptions,
} from './adapter-settings';
import { createGitlabFetch } from './api';
import { gitlabModule } from './module';
import { createRunner, deleteRunner, findRunnersByDescription, getJob, type RunnerApi } from './runners';
import { servesTags } from './tags';

/**
 * The variables `gitlab-runner run-single` reads (RunnerCredentials and RunnerSettings of
 * https://gitlab.com/gitlab-org/gitlab-runner/-/blob/main/common/config.go): the runner token goes in
 * the pod's Secret only.
 */
export const runnerTokenEnvName = 'CI_SERVER_TOKEN';

type GitlabDetails = v.InferOutput<typeof gitlabModule.detailsSchema>;

const gitlabDetails = (request: Pick<AgentRequest, 'requestId' | 'details'>): GitlabDetails =>
  parseDetails(gitlabModule.detailsSchema, request);

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

/** GitLab CI: Job Hooks in, one project runner per pending job out, run by `gitlab-runner run-single`. */
export const createGitlabSource = (options: GitlabSourceOptions): CiSourceAdapter =>
  gitlabSourceFrom(parseGitlabAdapterOptions(options));

/** The adapter over settings `parseGitlabAdapterOptions` checked (its API side loads this on its first call). */
export function gitlabSourceFrom(settings: GitlabAdapterSettings): CiSourceAdapter {
  const api: RunnerApi = { fetch: createGitlabFetch(settings), now: settings.now };
  const poll = {
    projects: settings.pollProjects,
    allowedProjects: settings.projects,
    allowPublicProjects: settings.allowPublicProjects,
    tags: settings.tags,
  };

  return {
    name: 'gitlab',

    async createAgentCredentials(request): Promise<AgentCredentials> {
      const details = gitlabDetails(request);
      const jobTags = await tagsOfServableJob(api, details, settings.tags);
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

    async deregisterAgent(request): Promise<void> {
      const details = gitlabDetails(request);
      // The recorded runner, and any other of the agent's name: a creation whose answer was lost (a
      // timeout after GitLab made it) was retried, and the first runner is known by its name alone.
      // The recorded one goes first, so that it is gone even if the listing fails.
      const recorded = request.externalId === undefined ? undefined : runnerIdFrom(request.externalId);
      if (recorded !== undefined) await deleteRunner(api, details, recorded);
      for (const runnerId of await findRunnersByDescription(api, details, request.agentName))
        if (runnerId !== recorded) await deleteRunner(api, details, runnerId);
    },

    // Polling loads on the first poll (../pollers.ts).
    ...(!gitlabAdapterCalls(settings).listQueuedBuilds
      ? {}
      : { listQueuedBuilds: async () => (await import('../pollers')).listGitlabQueuedBuilds(api, poll) }),
  };
}
