import * as v from '../../schema/valibot';
import { ciBuildLinkSchema } from '../build-link';
import { deliveryIdFrom, invalidFromIssues, parseJsonBody } from '../parse-json';
import type { BuildAction, BuildEvent, ParsedWebhook, WebhookInput, WebhookReceiver } from '../types';
import { githubSigning } from './signing';
import { originOf } from '../origin';
import { pathSafeName } from './repository-name';
import { repositoryMatches } from './repository-pattern';
import { judgeGithubJob, type GithubJobOrigin, type GithubTrustPolicy } from './trust';

/** https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers */
export const githubEventHeader = 'x-github-event';
export const githubDeliveryHeader = 'x-github-delivery';

/**
 * The parts of a `workflow_job` delivery Pitcrew uses; GitHub sends many more, which the schema drops.
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads#workflow_job
 */
const workflowJobSchema = v.object({
  workflow_job: v.object({
    id: v.pipe(v.int(), v.minValue(0)),
    run_id: v.optional(v.pipe(v.int(), v.minValue(0))),
    labels: v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(200))), v.maxLength(100)),
    // Kept on the request record: bounded, so no signed body can make the record too large to write.
    html_url: ciBuildLinkSchema,
    conclusion: v.optional(v.nullable(v.string())),
    created_at: v.optional(v.pipe(v.string(), v.maxLength(64))),
  }),
  repository: v.object({
    name: pathSafeName,
    owner: v.object({ login: pathSafeName }),
    // Read by the trust policy (trust.ts); left optional here so a payload without them is refused
    // there, by name, rather than here as malformed.
    private: v.optional(v.boolean()),
    visibility: v.optional(v.pipe(v.string(), v.maxLength(20))),
  }),
  // Present when the webhook belongs to a GitHub App, absent for a repository or organisation webhook.
  installation: v.optional(v.object({ id: v.pipe(v.int(), v.gtValue(0)) })),
});

const actionSchema = v.object({ action: v.string() });

/**
 * `waiting` is not mapped: GitHub sends it while a job waits on an environment protection rule
 * (https://github.blog/changelog/2022-11-21-webhook-enhancements-for-environment-protection-rules),
 * possibly for hours, and sends `queued` once it is approved. Provisioning on `waiting` would hold a
 * slot (and an unused JIT runner) for a job that may never run.
 */
const handledActions = ['queued', 'in_progress', 'completed'] as const;
type HandledAction = (typeof handledActions)[number];
const isHandled = (action: string): action is HandledAction =>
  handledActions.includes(action as HandledAction);

function buildActionFor(action: HandledAction, conclusion: string | null | undefined): BuildAction {
  if (action === 'queued') return 'queued';
  if (action === 'in_progress') return 'started';
  return conclusion === 'cancelled' ? 'cancelled' : 'completed';
}

/**
 * GitHub's webhook side: verified deliveries are parsed, then judged by the operator's trust policy.
 * Built from settings alone (no token, no App key).
 */
export function createGithubWebhookReceiver(policy: GithubTrustPolicy): WebhookReceiver {
  return {
    name: 'github',
    signing: githubSigning,
    parseWebhook(input) {
      const read = parseDelivery(input);
      if (read.kind !== 'job') return read;
      return judgeGithubJob(read.origin, policy) ?? read.parsed;
    },
  };
}

/** Parses a verified GitHub delivery into a `BuildEvent`, without judging its origin; never throws. */
export function parseGithubWebhook(input: WebhookInput): ParsedWebhook {
  const read = parseDelivery(input);
  return read.kind === 'job' ? read.parsed : read;
}

/** A parsed delivery; for a job, with where it comes from, for the trust policy. */
type DeliveryParse = ParsedWebhook | { kind: 'job'; parsed: ParsedWebhook; origin: GithubJobOrigin };

function parseDelivery(input: WebhookInput): DeliveryParse {
  const event = input.headers[githubEventHeader];
  if (event === undefined || event === '') {
    return {
      kind: 'invalid',
      field: `header ${githubEventHeader}`,
      problem: 'is required (the GitHub event name)',
    };
  }
  // GitHub sends `ping` once when a webhook is created; it carries no job.
  if (event === 'ping') return { kind: 'ignored', reason: 'ping' };
  if (event !== 'workflow_job') return { kind: 'ignored', reason: `event ${event} is not workflow_job` };

  const delivery = deliveryIdFrom(input.headers, githubDeliveryHeader);
  if (!delivery.ok) return delivery.invalid;
  const json = parseJsonBody(input.rawBody);
  if (!json.ok) return json.invalid;

  // The action is read first so that an action GitHub adds later is ignored, not refused.
  const action = v.safeParse(actionSchema, json.value);
  if (!action.success) return invalidFromIssues(action.issues);
  if (!isHandled(action.output.action)) {
    return { kind: 'ignored', reason: `workflow_job action ${action.output.action} needs no agent` };
  }

  const body = v.safeParse(workflowJobSchema, json.value);
  if (!body.success) return invalidFromIssues(body.issues);
  const { workflow_job: job, repository, installation } = body.output;
  const buildAction = buildActionFor(action.output.action, job.conclusion);
  const origin: GithubJobOrigin = {
    action: buildAction,
    owner: repository.owner.login,
    repo: repository.name,
    private: repository.private,
    visibility: repository.visibility,
    installationId: installation?.id,
    createdAt: job.created_at,
  };
  const parsed: ParsedWebhook = {
    kind: 'event',
    event: githubJobEvent(buildAction, delivery.deliveryId, {
      jobId: job.id,
      runId: job.run_id,
      labels: job.labels,
      url: job.html_url,
      owner: repository.owner.login,
      repo: repository.name,
      installationId: installation?.id,
    }),
  };
  return { kind: 'job', parsed, origin };
}

/** What a `BuildEvent` for one GitHub job is made of, whether a webhook or the REST API told of it. */
export interface GithubJobFacts {
  readonly jobId: number;
  readonly runId?: number;
  readonly labels: readonly string[];
  readonly url?: string;
  readonly owner: string;
  readonly repo: string;
  readonly installationId?: number;
}

/**
 * The one place a GitHub job becomes a `BuildEvent`: the webhook parser and the poller (polling.ts)
 * both call it, so a polled job and its lost webhook give the same event and the same jobKey.
 */
export function githubJobEvent(action: BuildAction, deliveryId: string, facts: GithubJobFacts): BuildEvent {
  return {
    source: 'github',
    jobKey: String(facts.jobId),
    action,
    labels: facts.labels,
    origin: originOf(`${facts.owner}/${facts.repo}`, repositoryMatches),
    deliveryId,
    // Absent keys are left out, not set to undefined: the details are stored on the request record.
    ...(facts.url === undefined ? {} : { url: facts.url }),
    details: {
      source: 'github',
      owner: facts.owner,
      repo: facts.repo,
      ...(facts.installationId === undefined ? {} : { installationId: facts.installationId }),
      ...(facts.runId === undefined ? {} : { runId: facts.runId }),
    },
  };
}
