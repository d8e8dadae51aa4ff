import { judgeJobAge, refusalOf, type Refusal } from '../refusal';
import type { BuildAction, RefusalReason } from '../types';
import type { buildkiteRefusalReasons } from './refusal-reasons';
import { pipelineMatches } from './pipeline-pattern';

/** Every reason the receiver refuses a signed job for (the RefusedJobs metric's `reason`). */
type BuildkiteRefusal = (typeof buildkiteRefusalReasons)[number];

/**
 * Which Buildkite jobs may get an agent (docs/security.md). A verified delivery proves only that the
 * webhook's organization sent it; what the job runs is decided by whoever can change a pipeline's
 * steps, or open a pull request on a pipeline that builds them, so the operator names the pipelines
 * and public ones are refused by default.
 */
export interface BuildkiteTrustPolicy {
  /** sources.buildkite.organization */
  readonly organization: string;
  /** `organization/pipeline` or `organization/*` (sources.buildkite.pipelines). */
  readonly pipelines: readonly string[];
  readonly allowPublicPipelines: boolean;
  readonly maxJobAgeHours: number;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

/** What a delivery says about where a job comes from. */
export interface BuildkiteJobOrigin {
  readonly action: BuildAction;
  readonly organization: string;
  readonly pipeline: string;
  /**
   * `pipeline.visibility`, `private` or `public`
   * (https://buildkite.com/docs/apis/rest-api/pipelines#pipeline-data-model).
   */
  readonly visibility?: string;
  /** `pipeline.repository`, the pipeline's own repository URL. */
  readonly repository?: string;
  /** `build.pull_request.repository`: where a pull request's code comes from, if the build is one. */
  readonly pullRequestRepository?: string;
  /** Whether the delivery carried a signed timestamp (X-Buildkite-Signature), which bounds replays. */
  readonly signedTimestamp: boolean;
  /** The job's dates (ISO 8601): when it was created, scheduled and became runnable. */
  readonly dates: readonly (string | undefined)[];
}

const refusal = refusalOf<BuildkiteRefusal & RefusalReason>();

/**
 * A repository URL reduced to host and path, so that `git@github.com:acme/app.git` and
 * `https://github.com/acme/app` compare equal; anything else compares as itself.
 */
export function repositoryIdentity(url: string): string {
  const trimmed = url
    .trim()
    .toLowerCase()
    .replace(/\.git$/, '')
    .replace(/\/+$/, '');
  const scp = /^[^@/]+@([^:/]+):(.+)$/.exec(trimmed);
  if (scp) return `${scp[1]}/${scp[2]}`;
  const parsed = URL.canParse(trimmed) ? new URL(trimmed) : undefined;
  return parsed ? `${parsed.hostname}${parsed.pathname}`.replace(/\/+$/, '') : trimmed;
}

/**
 * Whether the build is a pull request from another repository (a fork): Buildkite builds those only
 * when the pipeline's `build_pull_request_forks` is on
 * (https://buildkite.com/docs/apis/rest-api/pipelines, provider settings), and then anyone who can
 * fork the repository chooses what runs. A pull request whose repository is the pipeline's is not one.
 */
const isFork = (origin: BuildkiteJobOrigin): boolean =>
  origin.pullRequestRepository !== undefined &&
  origin.pullRequestRepository !== '' &&
  (origin.repository === undefined ||
    repositoryIdentity(origin.pullRequestRepository) !== repositoryIdentity(origin.repository));

/**
 * The operator's verdict on one job, or undefined when it may proceed. Every action is judged on its
 * organization, pipeline, visibility and fork, so a job refused once leaves no record later; only a
 * `queued` job is judged on its age, and only when no signed timestamp bounded the delivery.
 */
export function judgeBuildkiteJob(
  origin: BuildkiteJobOrigin,
  policy: BuildkiteTrustPolicy,
): Refusal | undefined {
  const subject = `${origin.organization}/${origin.pipeline}`;
  if (origin.organization.toLowerCase() !== policy.organization.toLowerCase())
    return refusal(
      'organization-not-allowed',
      subject,
      `organization ${origin.organization} is not sources.buildkite.organization (${policy.organization})`,
    );
  if (!policy.pipelines.some((pattern) => pipelineMatches(pattern, subject)))
    return refusal('pipeline-not-allowed', subject, `${subject} is not among sources.buildkite.pipelines`);
  if (!policy.allowPublicPipelines) {
    // Only `private` counts as not public, so an unknown value fails closed.
    if (origin.visibility === undefined)
      return refusal(
        'visibility-unknown',
        subject,
        'the delivery does not say pipeline.visibility, so the pipeline is taken as public',
      );
    if (origin.visibility !== 'private')
      return refusal(
        'public-pipeline',
        subject,
        `${subject} is ${origin.visibility}: anyone's pull request could run on the agent (sources.buildkite.allowPublicPipelines is false)`,
      );
    if (isFork(origin))
      return refusal(
        'fork-pull-request',
        subject,
        'the build is a pull request from another repository (sources.buildkite.allowPublicPipelines is false)',
      );
  }
  if (origin.action !== 'queued' || origin.signedTimestamp) return undefined;
  return judgeAge(origin, policy, subject);
}

/** The latest of the job's dates: when it last became waiting for an agent. */
function latestDateMs(dates: readonly (string | undefined)[]): number {
  return Math.max(
    ...dates
      .map((date) => (date === undefined ? Number.NaN : Date.parse(date)))
      .filter((ms) => !Number.isNaN(ms)),
  );
}

function judgeAge(
  origin: BuildkiteJobOrigin,
  policy: BuildkiteTrustPolicy,
  subject: string,
): Refusal | undefined {
  return judgeJobAge(latestDateMs(origin.dates), policy, refusal, subject, {
    undated:
      'the delivery has no signed timestamp and the job no created_at, scheduled_at or runnable_at date',
    dated: 'became runnable',
    more: ', and the delivery has no signed timestamp',
  });
}
