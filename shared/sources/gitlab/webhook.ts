import * as v from '../../schema/valibot';
import { ciBuildLinkSchema } from '../build-link';
import { deliveryIdSchema, invalidFromIssues, parseJsonBody } from '../parse-json';
import type { BuildAction, BuildEvent, ParsedWebhook, WebhookInput, WebhookReceiver } from '../types';
import { originOf } from '../origin';
import { projectMatches } from './project-match';
import { projectPathSchema } from './project-path';
import { gitlabSigning } from './signing';
import { type GitlabJobOrigin, type GitlabTrustPolicy, judgeGitlabJob } from './trust';

/**
 * The delivery headers GitLab documents (https://docs.gitlab.com/user/project/integrations/webhooks/#delivery-headers):
 * the event name, the secret token as entered on the webhook, a UUID per event and, on newer
 * versions, an `Idempotency-Key` that stays the same when GitLab retries a delivery
 * (https://gitlab.com/gitlab-org/gitlab/-/merge_requests/160952). None of them is signed.
 */
export const gitlabEventHeader = 'x-gitlab-event';
export const gitlabEventUuidHeader = 'x-gitlab-event-uuid';
export const gitlabIdempotencyHeader = 'idempotency-key';

/** `X-Gitlab-Event` of job events (https://docs.gitlab.com/user/project/integrations/webhook_events/#job-events). */
export const jobHookEvent = 'Job Hook';

const jobIdSchema = v.pipe(v.int(), v.gtValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));

/**
 * The parts of a Job Hook Pitcrew uses; GitLab sends many more, which the schema drops
 * (https://docs.gitlab.com/user/project/integrations/webhook_events/#job-events). The payload does
 * not carry the job's own tags (`runner.tags` are the tags of the runner that took the job, absent
 * while it is pending), which is why the module's `tags` setting stands in for them (module.ts).
 */
const jobHookSchema = v.object({
  build_id: jobIdSchema,
  build_name: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(1024)))),
  build_created_at: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(64)))),
  build_created_at_iso: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(64)))),
  project: v.object({
    id: jobIdSchema,
    path_with_namespace: projectPathSchema,
    web_url: ciBuildLinkSchema,
    // Read by the trust policy (trust.ts); optional here so a payload without it is refused there,
    // by name, rather than here as malformed.
    visibility_level: v.optional(v.nullable(v.int())),
  }),
  repository: v.optional(v.nullable(v.object({ visibility_level: v.optional(v.nullable(v.int())) }))),
});

const kindSchema = v.object({
  object_kind: v.literal('build'),
  build_status: v.pipe(v.string(), v.maxLength(64)),
});

/**
 * The statuses are those of the jobs API (https://docs.gitlab.com/api/jobs/#list-project-jobs).
 * `created` is not mapped: GitLab sends it for every job when its pipeline starts
 * (https://gitlab.com/gitlab-org/gitlab/-/issues/28381), and a job stays so until the jobs before it
 * have run, possibly for hours; a runner can take it only once it is `pending`. `manual`,
 * `scheduled`, `waiting_for_resource`, `preparing` (a runner has it already), `skipped` and any
 * status GitLab adds later need no runner either.
 */
const buildActions: Readonly<Record<string, BuildAction>> = {
  pending: 'queued',
  running: 'started',
  success: 'completed',
  failed: 'completed',
  canceled: 'cancelled',
};

/** The build action of a job status, or undefined when it needs nothing of Pitcrew. */
export const buildActionOf = (status: string): BuildAction | undefined =>
  Object.hasOwn(buildActions, status) ? buildActions[status] : undefined;

export interface GitlabReceiverSettings extends GitlabTrustPolicy {
  /** The tags every job of this source is taken to ask for (sources.gitlab.tags). */
  readonly tags: readonly string[];
}

/**
 * GitLab's webhook side: verified Job Hooks are parsed, then judged by the operator's trust policy.
 * Built from settings alone (no API token).
 */
export function createGitlabWebhookReceiver(settings: GitlabReceiverSettings): WebhookReceiver {
  return {
    name: 'gitlab',
    signing: gitlabSigning,
    parseWebhook(input) {
      const read = parseDelivery(input, settings.tags);
      if (read.kind !== 'job') return read;
      return judgeGitlabJob(read.origin, settings) ?? read.parsed;
    },
  };
}

/** The delivery's id for deduplication: the Idempotency-Key when GitLab sends one, else the event UUID. */
function deliveryIdOf(headers: WebhookInput['headers']): string | undefined {
  for (const header of [gitlabIdempotencyHeader, gitlabEventUuidHeader]) {
    const parsed = v.safeParse(deliveryIdSchema, headers[header]);
    if (parsed.success) return parsed.output;
  }
  return undefined;
}

type DeliveryParse = ParsedWebhook | { kind: 'job'; parsed: ParsedWebhook; origin: GitlabJobOrigin };

function parseDelivery(input: WebhookInput, tags: readonly string[]): DeliveryParse {
  const event = input.headers[gitlabEventHeader];
  if (event === undefined || event === '')
    return {
      kind: 'invalid',
      field: `header ${gitlabEventHeader}`,
      problem: 'is required (the GitLab event name)',
    };
  // A webhook may be subscribed to more events than jobs; none of them needs a runner.
  if (event !== jobHookEvent)
    return { kind: 'ignored', reason: `event ${event.slice(0, 100)} is not ${jobHookEvent}` };

  const deliveryId = deliveryIdOf(input.headers);
  if (deliveryId === undefined)
    return {
      kind: 'invalid',
      field: `header ${gitlabEventUuidHeader}`,
      problem: 'is required (a unique id per event)',
    };
  const json = parseJsonBody(input.rawBody);
  if (!json.ok) return json.invalid;

  // The status is read first so that a status GitLab adds later is ignored, not refused.
  const kind = v.safeParse(kindSchema, json.value);
  if (!kind.success) return invalidFromIssues(kind.issues);
  const action = buildActionOf(kind.output.build_status);
  if (action === undefined)
    return { kind: 'ignored', reason: `job status ${kind.output.build_status} needs no runner` };

  const body = v.safeParse(jobHookSchema, json.value);
  if (!body.success) return invalidFromIssues(body.issues);
  const job = body.output;
  const origin: GitlabJobOrigin = {
    action,
    projectPath: job.project.path_with_namespace,
    visibilityLevel: job.project.visibility_level ?? job.repository?.visibility_level ?? undefined,
    createdAt: job.build_created_at_iso ?? job.build_created_at ?? undefined,
  };
  const facts: GitlabJobFacts = {
    projectId: job.project.id,
    projectPath: job.project.path_with_namespace,
    jobId: job.build_id,
    tags,
    url: job.project.web_url
      ? `${job.project.web_url.replace(/\/+$/, '')}/-/jobs/${job.build_id}`
      : undefined,
  };
  return { kind: 'job', parsed: { kind: 'event', event: gitlabJobEvent(action, deliveryId, facts) }, origin };
}

/** What a `BuildEvent` for one GitLab job is made of, whether a webhook or the REST API told of it. */
export interface GitlabJobFacts {
  readonly projectId: number;
  readonly projectPath: string;
  readonly jobId: number;
  /** The labels the event carries: the configured tags (the webhook names none of its own). */
  readonly tags: readonly string[];
  readonly url?: string;
}

/** The job's key: job ids are unique per instance, the project id makes the key readable. */
export const gitlabJobKey = (projectId: number, jobId: number): string => `${projectId}:${jobId}`;

/**
 * The one place a GitLab job becomes a `BuildEvent`: the webhook parser and the poller (polling.ts)
 * both call it, so a polled job and its lost webhook give the same event and the same jobKey.
 */
export function gitlabJobEvent(action: BuildAction, deliveryId: string, facts: GitlabJobFacts): BuildEvent {
  return {
    source: 'gitlab',
    jobKey: gitlabJobKey(facts.projectId, facts.jobId),
    action,
    labels: [...facts.tags],
    origin: originOf(facts.projectPath, projectMatches),
    deliveryId,
    // Absent keys are left out, not set to undefined: the details are stored on the request record.
    ...(facts.url === undefined ? {} : { url: facts.url }),
    details: {
      source: 'gitlab',
      projectId: facts.projectId,
      projectPath: facts.projectPath,
      jobId: facts.jobId,
    },
  };
}

/** Parses a verified GitLab delivery without judging its origin; never throws. */
export function parseGitlabWebhook(input: WebhookInput, tags: readonly string[]): ParsedWebhook {
  const read = parseDelivery(input, tags);
  return read.kind === 'job' ? read.parsed : read;
}
