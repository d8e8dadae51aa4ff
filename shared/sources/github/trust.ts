import { repositoryMatches } from './repository-pattern';
import { judgeJobAge, refusalOf, type Refusal } from '../refusal';
import type { BuildAction, RefusalReason } from '../types';
import { visibilityOf } from './visibility';

/**
 * Which GitHub jobs may get an agent (docs/security.md). A signed delivery proves only that GitHub
 * sent it; what it asks for is decided by whoever can push a workflow to a repository the App or
 * webhook covers, so the operator names the repositories, and public ones are refused by default.
 */
export interface GithubTrustPolicy {
  /** `owner/repo` or `owner/*` patterns (sources.github.repositories). */
  readonly repositories: readonly string[];
  readonly allowPublicRepositories: boolean;
  /** The App installation configured (auth.app.installationId): a delivery naming another is refused. */
  readonly installationId?: number;
  readonly maxJobAgeHours: number;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

/** What a delivery says about where a job comes from. */
export interface GithubJobOrigin {
  readonly action: BuildAction;
  readonly owner: string;
  readonly repo: string;
  /** `repository.private`; true for private and internal repositories. */
  readonly private?: boolean;
  /** `repository.visibility`: public, private or internal. */
  readonly visibility?: string;
  readonly installationId?: number;
  /** `workflow_job.created_at`, ISO 8601. */
  readonly createdAt?: string;
}

const refusal = refusalOf<RefusalReason>();

/**
 * The operator's verdict on one job, or undefined when it may proceed. Every action is judged on its
 * repository, installation and visibility, so a job refused once leaves no record later, not even a
 * tombstone from its end event; only a `queued` job is judged on its age, as only it makes an agent
 * (an end event of a long build is not a replay).
 */
export function judgeGithubJob(origin: GithubJobOrigin, policy: GithubTrustPolicy): Refusal | undefined {
  const repository = `${origin.owner}/${origin.repo}`;
  if (!policy.repositories.some((pattern) => repositoryMatches(pattern, repository)))
    return refusal(
      'repository-not-allowed',
      repository,
      `${repository} is not among sources.github.repositories`,
    );
  if (policy.installationId !== undefined && origin.installationId !== policy.installationId)
    return refusal(
      'installation-not-allowed',
      repository,
      origin.installationId === undefined
        ? `the delivery names no App installation; only installation ${policy.installationId} is allowed`
        : `installation ${origin.installationId} is not the configured installation ${policy.installationId}`,
    );
  const visibility = visibilityOf(origin);
  if (visibility !== 'not public' && !policy.allowPublicRepositories)
    return visibility === 'public'
      ? refusal(
          'public-repository',
          repository,
          `${repository} is public: anyone's pull request could run on the agent (sources.github.allowPublicRepositories is false)`,
        )
      : refusal(
          'visibility-unknown',
          repository,
          'the delivery says neither repository.private nor repository.visibility, so it is taken as public',
        );
  return origin.action === 'queued' ? judgeAge(origin, policy, repository) : undefined;
}

/** A queued job older than maxJobAgeHours is a replay or long stale; one with no date is refused too. */
function judgeAge(
  origin: GithubJobOrigin,
  policy: GithubTrustPolicy,
  repository: string,
): Refusal | undefined {
  const createdMs = origin.createdAt === undefined ? Number.NaN : Date.parse(origin.createdAt);
  return judgeJobAge(createdMs, policy, refusal, repository, {
    undated: 'workflow_job.created_at is missing or not a date',
    dated: 'was created',
  });
}
