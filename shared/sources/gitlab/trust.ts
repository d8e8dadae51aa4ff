import { judgeJobAge, refusalOf, type Refusal } from '../refusal';
import type { BuildAction, RefusalReason } from '../types';
import type { gitlabRefusalReasons } from './refusal-reasons';
import { projectMatches } from './project-match';

/**
 * Which GitLab jobs may get a runner (docs/gitlab.md, "Trust rules"). A delivery carrying the right
 * X-Gitlab-Token proves only that a webhook Pitcrew was given the secret of sent it; what a job runs is
 * decided by whoever can push a `.gitlab-ci.yml` to the project, so the operator names the projects,
 * and public ones are refused by default.
 */
export interface GitlabTrustPolicy {
  /** `group/project`, `group/*` or `group/**` patterns (sources.gitlab.projects). */
  readonly projects: readonly string[];
  readonly allowPublicProjects: boolean;
  readonly maxJobAgeHours: number;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

/** What a delivery says about where a job comes from. */
export interface GitlabJobOrigin {
  readonly action: BuildAction;
  /** `project.path_with_namespace`. */
  readonly projectPath: string;
  /** `project.visibility_level`, else `repository.visibility_level`: 0 private, 10 internal, 20 public. */
  readonly visibilityLevel?: number;
  /** When the job was created, as the payload gives it (`build_created_at_iso` or `build_created_at`). */
  readonly createdAt?: string;
}

/** Every reason the receiver refuses a signed job (its receiver module's `refusalReasons`). */
type GitlabRefusalReason = (typeof gitlabRefusalReasons)[number] & RefusalReason;

const refusal = refusalOf<GitlabRefusalReason>();

/**
 * GitLab's visibility levels, as `Gitlab::VisibilityLevel` defines them
 * (https://gitlab.com/gitlab-org/gitlab/-/blob/master/lib/gitlab/visibility_level.rb): 0 private,
 * 10 internal (any signed-in user of the instance), 20 public. Only 0 and 10 count as not
 * public, so a level GitLab adds later fails closed.
 */
export function visibilityOf(level: number | undefined): 'public' | 'not public' | 'unknown' {
  if (level === undefined) return 'unknown';
  return level === 0 || level === 10 ? 'not public' : 'public';
}

/**
 * The operator's verdict on one job, or undefined when it may proceed. Every action is judged on its
 * project and visibility, so a job refused once leaves no record later, not even a tombstone from its
 * end event; only a `queued` job is judged on its age, as only it makes a runner (the end of a long
 * job is not a replay).
 */
export function judgeGitlabJob(origin: GitlabJobOrigin, policy: GitlabTrustPolicy): Refusal | undefined {
  const project = origin.projectPath;
  if (!policy.projects.some((pattern) => projectMatches(pattern, project)))
    return refusal('project-not-allowed', project, `${project} is not among sources.gitlab.projects`);
  const visibility = visibilityOf(origin.visibilityLevel);
  if (visibility !== 'not public' && !policy.allowPublicProjects)
    return visibility === 'public'
      ? refusal(
          'public-project',
          project,
          `${project} is public: anyone's merge request could run on the runner (sources.gitlab.allowPublicProjects is false)`,
        )
      : refusal(
          'visibility-unknown',
          project,
          'the delivery gives no project.visibility_level, so the project is taken as public',
        );
  return origin.action === 'queued' ? judgeAge(origin, policy, project) : undefined;
}

/**
 * GitLab has sent `build_created_at` both as ISO 8601 and as `2016-08-12 15:23:28 UTC`
 * (https://docs.gitlab.com/user/project/integrations/webhook_events/#job-events, and earlier
 * versions of that page); both are read, anything else is no date. The second is Rails' `to_s` of a
 * time, which names a zone other than UTC by its offset (`2026-03-01 13:59:00 +0100`): an instance
 * whose `time_zone` is set sends that.
 */
export function parseGitlabTime(value: string | undefined): number {
  if (value === undefined) return Number.NaN;
  const legacy = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) (?:UTC|([+-]\d{2})(\d{2}))$/.exec(value);
  const iso = legacy ? `${legacy[1]}T${legacy[2]}${legacy[3] ? `${legacy[3]}:${legacy[4]}` : 'Z'}` : value;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(iso)) return Number.NaN;
  return Date.parse(iso);
}

/**
 * GitLab's secret token proves no time, so a captured delivery could be sent again at any later
 * date: a queued job created longer ago than maxJobAgeHours is refused, and so is one with no date.
 */
function judgeAge(origin: GitlabJobOrigin, policy: GitlabTrustPolicy, project: string): Refusal | undefined {
  return judgeJobAge(parseGitlabTime(origin.createdAt), policy, refusal, project, {
    undated: 'build_created_at is missing or not a date',
    dated: 'was created',
  });
}
