import * as v from '../../schema/valibot';
import { CiAgentBusyError, CiError } from '../errors';
import { failureFor, type FailureHints, type GitlabFetch, projectRef, unexpectedBody } from './api';

/** What the runner and job calls need besides their arguments. */
export interface RunnerApi {
  readonly fetch: GitlabFetch;
  readonly now: () => number;
}

/** The project a job runs in, as a request's details name it. */
export interface ProjectRef {
  readonly projectId: number;
  readonly projectPath: string;
}

const runnerHints = (project: ProjectRef): FailureHints => ({
  forbidden:
    'the access token needs the create_runner and manage_runner scopes, and its user the Owner role on the project (or a project access token with the Owner role)',
  notFound: `project ${project.projectPath} does not exist or the access token cannot see it`,
});

const jobHints = (project: ProjectRef): FailureHints => ({
  forbidden: 'the access token needs the read_api scope (or api) and access to the project and its jobs',
  notFound: `project ${project.projectPath} or the job does not exist, or the access token cannot see it`,
});

/** The job fields Pitcrew reads (https://docs.gitlab.com/api/jobs/#get-a-single-job). */
const jobSchema = v.object({
  id: v.pipe(v.int(), v.gtValue(0)),
  status: v.string(),
  tag_list: v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(255))), v.maxLength(100)),
});
export type GitlabJob = v.InferOutput<typeof jobSchema>;

/** One job of the project; undefined when GitLab has no such job (404). */
export async function getJob(
  api: RunnerApi,
  project: ProjectRef,
  jobId: number,
): Promise<GitlabJob | undefined> {
  const purpose = `read job ${jobId} of ${project.projectPath}`;
  const response = await api.fetch({
    method: 'GET',
    path: `/projects/${projectRef(project.projectId)}/jobs/${jobId}`,
    purpose,
  });
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw failureFor(response, purpose, api.now(), jobHints(project));
  const parsed = v.safeParse(jobSchema, response.body);
  if (!parsed.success) throw unexpectedBody(purpose, response.status, parsed.issues);
  return parsed.output;
}

/** A project as GitLab itself gives it: its path and who can see it. */
export interface GitlabProject {
  readonly path: string;
  readonly visibility: string;
}

/**
 * https://docs.gitlab.com/api/projects/#get-a-single-project, by the id the runner will be made
 * for: the trust rules judged the path and visibility a delivery stated, which its sender chose.
 */
export async function getProject(api: RunnerApi, project: ProjectRef): Promise<GitlabProject> {
  const purpose = `read project ${project.projectId} (${project.projectPath})`;
  const response = await api.fetch({
    method: 'GET',
    path: `/projects/${projectRef(project.projectId)}`,
    purpose,
  });
  if (response.status !== 200) throw failureFor(response, purpose, api.now(), jobHints(project));
  // Built here, not at the top of the module: a top-level call stays in every bundle that imports
  // the module, and the reaper's never makes this call.
  const parsed = v.safeParse(
    v.object({ path_with_namespace: v.pipe(v.string(), v.minLength(1)), visibility: v.string() }),
    response.body,
  );
  if (!parsed.success) throw unexpectedBody(purpose, response.status, parsed.issues);
  return { path: parsed.output.path_with_namespace, visibility: parsed.output.visibility };
}

export interface RunnerRequest {
  /** The runner's description: the agent's (and pod's) name, so people can match them. */
  readonly description: string;
  readonly tags: readonly string[];
  readonly maintenanceNote: string;
}

const createdRunnerSchema = v.object({
  id: v.pipe(v.int(), v.gtValue(0)),
  token: v.pipe(v.string(), v.minLength(1)),
});

/**
 * Creates a project runner and its authentication token, the runner-creation workflow of
 * https://docs.gitlab.com/api/users/#create-a-runner-linked-to-a-user (`POST /user/runners`, 201 with
 * `id` and `token`): tagged exactly as the job, never running untagged jobs, locked to the project.
 */
export async function createRunner(
  api: RunnerApi,
  project: ProjectRef,
  runner: RunnerRequest,
): Promise<{ readonly runnerId: number; readonly token: string }> {
  const purpose = `create a runner for ${project.projectPath}`;
  const response = await api.fetch({
    method: 'POST',
    path: '/user/runners',
    body: {
      runner_type: 'project_type',
      project_id: project.projectId,
      description: runner.description,
      tag_list: runner.tags,
      run_untagged: false,
      locked: true,
      maintenance_note: runner.maintenanceNote,
    },
    purpose,
  });
  if (response.status !== 201) throw failureFor(response, purpose, api.now(), runnerHints(project));
  const parsed = v.safeParse(createdRunnerSchema, response.body);
  if (!parsed.success) throw unexpectedBody(purpose, response.status, parsed.issues);
  return { runnerId: parsed.output.id, token: parsed.output.token };
}

/**
 * https://docs.gitlab.com/api/runners/#delete-a-runner: 204 when deleted; 404 means it is already gone,
 * which is what deregistering wants.
 */
export async function deleteRunner(
  api: RunnerApi,
  project: ProjectRef,
  runnerId: number,
  evenIfBusy = false,
): Promise<void> {
  // GitLab deletes a runner that runs a job, and the pod would go next: a project runner takes any
  // pending job of the project with its tags, so the one made for a job that ended may run another.
  // A check GitLab refuses for good says nothing either way: the runner is deleted as before.
  const busy =
    !evenIfBusy &&
    (await runsAJob(api, project, runnerId).catch((error: unknown) => {
      if (error instanceof CiError && error.retryable) throw error;
      return false;
    }));
  if (busy) throw new CiAgentBusyError(`GitLab says runner ${runnerId} of ${project.projectPath} runs a job`);
  const purpose = `delete runner ${runnerId} of ${project.projectPath}`;
  const response = await api.fetch({ method: 'DELETE', path: `/runners/${runnerId}`, purpose });
  if (response.status === 204 || response.status === 404) return;
  throw failureFor(response, purpose, api.now(), runnerHints(project));
}

/**
 * Whether the runner runs a job now (https://docs.gitlab.com/api/runners/#list-jobs-processed-by-a-runner);
 * false for a runner GitLab no longer has.
 */
async function runsAJob(api: RunnerApi, project: ProjectRef, runnerId: number): Promise<boolean> {
  const purpose = `read whether runner ${runnerId} of ${project.projectPath} runs a job`;
  const response = await api.fetch({
    method: 'GET',
    path: `/runners/${runnerId}/jobs?status=running&per_page=1`,
    purpose,
  });
  if (response.status === 404) return false;
  if (response.status !== 200) throw failureFor(response, purpose, api.now(), runnerHints(project));
  const jobs = v.safeParse(v.array(v.unknown()), response.body);
  if (!jobs.success) throw unexpectedBody(purpose, response.status, jobs.issues);
  return jobs.output.length > 0;
}

const runnerListSchema = v.array(
  v.object({ id: v.pipe(v.int(), v.gtValue(0)), description: v.nullable(v.string()) }),
);
const runnersPerPage = 100;
// A bound on a loop driven by GitLab's answers.
const maxRunnerPages = 5;

/**
 * The project runners whose description is `description`
 * (https://docs.gitlab.com/api/runners/#list-projects-runners), for an agent whose runner id was never
 * recorded. The list has no description filter, so it is read page by page.
 */
export async function findRunnersByDescription(
  api: RunnerApi,
  project: ProjectRef,
  description: string,
): Promise<number[]> {
  const purpose = `list the runners of ${project.projectPath}`;
  const found: number[] = [];
  for (let page = 1; page <= maxRunnerPages; page += 1) {
    const response = await api.fetch({
      method: 'GET',
      path: `/projects/${projectRef(project.projectId)}/runners?type=project_type&per_page=${runnersPerPage}&page=${page}`,
      purpose,
    });
    if (response.status !== 200) throw failureFor(response, purpose, api.now(), runnerHints(project));
    const parsed = v.safeParse(runnerListSchema, response.body);
    if (!parsed.success) throw unexpectedBody(purpose, response.status, parsed.issues);
    found.push(
      ...parsed.output.filter((runner) => runner.description === description).map((runner) => runner.id),
    );
    if (parsed.output.length < runnersPerPage) break;
  }
  return found;
}
