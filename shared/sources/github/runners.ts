import * as v from '../../schema/valibot';
import { failureFor, type FailureHints, type GithubFetch, unexpectedBody } from './api';
import { CiAgentBusyError } from '../errors';

/** Where runners are registered: on the build's repository, or on its owner organization. */
export type RunnerScope =
  | { readonly kind: 'repo'; readonly owner: string; readonly repo: string }
  | { readonly kind: 'org'; readonly org: string };

/** What the runner calls need besides their arguments. */
export interface RunnerApi {
  readonly fetch: GithubFetch;
  readonly now: () => number;
}

export const describeScope = (scope: RunnerScope): string =>
  scope.kind === 'repo' ? `${scope.owner}/${scope.repo}` : `organization ${scope.org}`;

const runnersPath = (scope: RunnerScope): string =>
  scope.kind === 'repo'
    ? `/repos/${encodeURIComponent(scope.owner)}/${encodeURIComponent(scope.repo)}/actions/runners`
    : `/orgs/${encodeURIComponent(scope.org)}/actions/runners`;

/** The permission each scope's runner endpoints document (fine-grained, then classic). */
const permissionHint = (scope: RunnerScope): string =>
  scope.kind === 'repo'
    ? 'the token or App needs the Administration: write repository permission (classic tokens: the repo scope)'
    : 'the token or App needs the Self-hosted runners: write organization permission (classic tokens: the admin:org scope)';

function hintsFor(scope: RunnerScope, extraNotFound = ''): FailureHints {
  return {
    forbidden: permissionHint(scope),
    notFound: `${describeScope(scope)} does not exist or the credentials cannot see it${extraNotFound}`,
  };
}

export interface JitRequest {
  readonly name: string;
  readonly labels: readonly string[];
  readonly runnerGroupId: number;
  readonly workFolder: string;
}

export type JitResult =
  | { readonly kind: 'created'; readonly runnerId: number; readonly encodedJitConfig: string }
  | { readonly kind: 'name-taken' };

const jitConfigSchema = v.object({
  runner: v.object({ id: v.pipe(v.int(), v.gtValue(0)) }),
  encoded_jit_config: v.pipe(v.string(), v.minLength(1)),
});

/**
 * https://docs.github.com/en/rest/actions/self-hosted-runners#create-configuration-for-a-just-in-time-runner-for-a-repository
 * (and the organization variant): 201 with the runner and its single-use config; 409 when a runner
 * of that name is already registered, which the caller resolves.
 */
export async function generateJitConfig(
  api: RunnerApi,
  token: string,
  scope: RunnerScope,
  jit: JitRequest,
): Promise<JitResult> {
  const purpose = `create a JIT runner for ${describeScope(scope)}`;
  const response = await api.fetch({
    method: 'POST',
    path: `${runnersPath(scope)}/generate-jitconfig`,
    credential: token,
    body: {
      name: jit.name,
      runner_group_id: jit.runnerGroupId,
      labels: jit.labels,
      work_folder: jit.workFolder,
    },
    purpose,
  });
  if (response.status === 409) return { kind: 'name-taken' };
  if (response.status !== 201) {
    throw failureFor(
      response,
      purpose,
      api.now(),
      hintsFor(scope, `, or runner group ${jit.runnerGroupId} does not exist`),
    );
  }
  const parsed = v.safeParse(jitConfigSchema, response.body);
  if (!parsed.success) throw unexpectedBody(purpose, response.status, parsed.issues);
  return {
    kind: 'created',
    runnerId: parsed.output.runner.id,
    encodedJitConfig: parsed.output.encoded_jit_config,
  };
}

const runnerListSchema = v.object({
  runners: v.array(v.object({ id: v.pipe(v.int(), v.gtValue(0)), name: v.string() })),
});

/**
 * https://docs.github.com/en/rest/actions/self-hosted-runners#list-self-hosted-runners-for-a-repository:
 * the `name` query filters server-side; the exact-name check guards against a looser match.
 */
export async function findRunnerByName(
  api: RunnerApi,
  token: string,
  scope: RunnerScope,
  name: string,
): Promise<number | undefined> {
  const purpose = `look up runner ${name} on ${describeScope(scope)}`;
  const response = await api.fetch({
    method: 'GET',
    path: `${runnersPath(scope)}?name=${encodeURIComponent(name)}&per_page=100`,
    credential: token,
    purpose,
  });
  if (response.status !== 200) throw failureFor(response, purpose, api.now(), hintsFor(scope));
  const parsed = v.safeParse(runnerListSchema, response.body);
  if (!parsed.success) throw unexpectedBody(purpose, response.status, parsed.issues);
  return parsed.output.runners.find((runner) => runner.name === name)?.id;
}

/**
 * https://docs.github.com/en/rest/actions/self-hosted-runners#delete-a-self-hosted-runner-from-a-repository:
 * 204 when deleted; 404 means it is already gone (a JIT runner removes itself after its one job).
 */
export async function deleteRunner(
  api: RunnerApi,
  token: string,
  scope: RunnerScope,
  runnerId: number,
): Promise<void> {
  const purpose = `delete runner ${runnerId} from ${describeScope(scope)}`;
  const response = await api.fetch({
    method: 'DELETE',
    path: `${runnersPath(scope)}/${runnerId}`,
    credential: token,
    purpose,
  });
  if (response.status === 204 || response.status === 404) return;
  const failure = failureFor(response, purpose, api.now(), hintsFor(scope));
  // GitHub answers 422 "Bad request - Runner "x" is still running a job" for a busy runner.
  if (response.status === 422 && /running a job/i.test(failure.message))
    throw new CiAgentBusyError(failure.message, 422);
  throw failure;
}

/**
 * https://docs.github.com/en/rest/repos/repos#get-a-repository: whether GitHub itself says the
 * repository is public (any visibility but private or internal is). The trust rules judged what the
 * signed delivery said; this asks GitHub, so a delivery forged with the webhook's secret cannot get a
 * runner onto a public repository by calling it private.
 */
export async function isPublicRepository(
  api: RunnerApi,
  token: string,
  owner: string,
  repo: string,
): Promise<boolean> {
  const name = `${owner}/${repo}`;
  const purpose = `read whether ${name} is public`;
  const response = await api.fetch({
    method: 'GET',
    path: `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`,
    credential: token,
    purpose,
  });
  if (response.status !== 200)
    throw failureFor(response, purpose, api.now(), {
      forbidden: 'the token or App needs the Metadata: read repository permission',
      notFound: `${name} does not exist or the credentials cannot see it (a token must be able to read it: classic tokens, the repo scope)`,
    });
  // The schema is built here, not at the top of the module: a top-level call stays in every bundle
  // that imports the module, and the reaper's never makes this call.
  const parsed = v.safeParse(
    v.object({ private: v.boolean(), visibility: v.optional(v.string()) }),
    response.body,
  );
  if (!parsed.success) throw unexpectedBody(purpose, response.status, parsed.issues);
  // The rule of ./visibility.ts (GitHub's answer always has `private`), written out: importing it here
  // would put it in a chunk the reaper loads at cold start, as its polling imports it too.
  const { visibility, private: isPrivate } = parsed.output;
  return visibility === undefined ? !isPrivate : visibility !== 'private' && visibility !== 'internal';
}

/**
 * https://docs.github.com/en/rest/actions/workflow-jobs#get-a-job-for-a-workflow-run: whether the job
 * still waits for a runner (neither `in_progress` nor `completed`). A job GitHub does not have waits
 * for nothing.
 */
export async function jobWaits(
  api: RunnerApi,
  token: string,
  owner: string,
  repo: string,
  jobId: string,
): Promise<boolean> {
  const purpose = `read job ${jobId} of ${owner}/${repo}`;
  const response = await api.fetch({
    method: 'GET',
    path: `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/actions/jobs/${encodeURIComponent(jobId)}`,
    credential: token,
    purpose,
  });
  if (response.status === 404) return false;
  if (response.status !== 200)
    throw failureFor(response, purpose, api.now(), {
      forbidden:
        'the token or App needs to read Actions on the repository (Actions: read; classic tokens: the repo scope)',
      notFound: '',
    });
  // Built here, not at the top of the module: provision, which imports it too, never makes this call.
  const parsed = v.safeParse(v.object({ status: v.string() }), response.body);
  if (!parsed.success) throw unexpectedBody(purpose, response.status, parsed.issues);
  return parsed.output.status !== 'in_progress' && parsed.output.status !== 'completed';
}
