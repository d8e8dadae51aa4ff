import * as v from '../../schema/valibot';
import { failureFor, type BuildkiteFetch, unexpectedBody } from './api';

/** Where a job is found: its build, by number, in its pipeline (a request's details keep both). */
export interface JobPlace {
  readonly organization: string;
  readonly pipeline: string;
  readonly buildNumber: number;
  readonly jobId: string;
}

const buildJobsSchema = v.object({
  jobs: v.optional(
    v.nullable(v.array(v.object({ id: v.string(), state: v.optional(v.nullable(v.string())) }))),
  ),
});

/**
 * Whether the job still waits for an agent: `scheduled`, "scheduled and waiting for an agent"
 * (https://buildkite.com/docs/apis/graphql/schemas/enum/jobstates), read from its build
 * (https://buildkite.com/docs/apis/rest-api/builds#get-a-build, the `read_builds` scope). A build or
 * job Buildkite no longer has (404, or not among the build's jobs) waits for nothing. A failure
 * throws: the reaper asks again at its next run while Buildkite fails for now, and takes a refusal
 * for good (a token without `read_builds`) for "no longer waits", as before it could ask.
 */
export async function jobWaits(fetch: BuildkiteFetch, place: JobPlace): Promise<boolean> {
  const { organization, pipeline, buildNumber, jobId } = place;
  const purpose = `read build ${organization}/${pipeline}#${buildNumber}`;
  const response = await fetch({
    method: 'GET',
    path: `/v2/organizations/${encodeURIComponent(organization)}/pipelines/${encodeURIComponent(pipeline)}/builds/${buildNumber}`,
    purpose,
  });
  if (response.status === 404) return false;
  if (response.status !== 200)
    throw failureFor(response, purpose, { forbidden: 'the API token needs the read_builds scope' });
  const parsed = v.safeParse(buildJobsSchema, response.body);
  if (!parsed.success) throw unexpectedBody(purpose, response.status, parsed.issues);
  const job = (parsed.output.jobs ?? []).find(
    (candidate) => candidate.id.toLowerCase() === jobId.toLowerCase(),
  );
  return job?.state === 'scheduled';
}
