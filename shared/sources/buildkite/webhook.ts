import * as v from '../../schema/valibot';
import { ciBuildLinkSchema } from '../build-link';
import { invalidFromIssues, parseJsonBody } from '../parse-json';
import type { BuildAction, BuildEvent, ParsedWebhook, WebhookInput, WebhookReceiver } from '../types';
import { originOf } from '../origin';
import { pipelineMatches, slugPattern } from './pipeline-pattern';
import { buildkiteSignatureOrTokenSigning, buildkiteSigning, hasSignedTimestamp } from './signing';
import { type BuildkiteJobOrigin, type BuildkiteTrustPolicy, judgeBuildkiteJob } from './trust';

/** https://buildkite.com/docs/apis/webhooks/pipelines#http-headers */
export const buildkiteEventHeader = 'x-buildkite-event';

const slug = v.pipe(v.string(), v.regex(slugPattern, 'must be a Buildkite slug'));
// Job ids are UUIDs (https://buildkite.com/docs/apis/rest-api/builds#job-data-model); they end up in
// agent settings and poll ids, so anything else is refused.
export const jobIdSchema = v.pipe(v.string(), v.regex(/^[0-9A-Fa-f-]{1,64}$/, 'must be a job UUID'));
const date = v.optional(v.nullable(v.pipe(v.string(), v.maxLength(64))));
// agent_query_rules are the job's `agents:` targeting, `key=value` strings such as `queue=kubernetes`
// (https://buildkite.com/docs/agent/v3/queues); they pick the template, unchanged.
export const queryRulesSchema = v.pipe(
  v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(200))),
  v.maxLength(100),
);

/**
 * The parts of a job event Pitcrew reads (https://buildkite.com/docs/apis/webhooks/pipelines/job-events:
 * `job`, `build`, `pipeline`, `sender`); Buildkite sends much more, which the schema drops.
 */
const jobEventSchema = v.object({
  job: v.object({
    id: jobIdSchema,
    type: v.optional(v.pipe(v.string(), v.maxLength(40))),
    state: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(40)))),
    agent_query_rules: v.optional(v.nullable(queryRulesSchema)),
    // Kept on the request record: bounded, so no signed body can make the record too large to write.
    web_url: ciBuildLinkSchema,
    created_at: date,
    scheduled_at: date,
    runnable_at: date,
  }),
  build: v.optional(
    v.object({
      number: v.optional(v.pipe(v.int(), v.minValue(0))),
      pull_request: v.optional(
        v.nullable(v.object({ repository: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(2000)))) })),
      ),
    }),
  ),
  pipeline: v.object({
    slug,
    // `https://api.buildkite.com/v2/organizations/{org}/pipelines/{slug}`: where the organization is named.
    url: v.optional(v.pipe(v.string(), v.maxLength(2000))),
    visibility: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(20)))),
    repository: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(2000)))),
  }),
  organization: v.optional(v.object({ slug })),
});
type JobEventBody = v.InferOutput<typeof jobEventSchema>;

const eventSchema = v.object({ event: v.pipe(v.string(), v.minLength(1), v.maxLength(100)) });

/**
 * `job.activated` is for block steps, which no agent runs; `ping` is sent when the webhook's settings
 * change (https://buildkite.com/docs/apis/webhooks/pipelines#events). Both are ignored.
 */
const handledEvents = ['job.scheduled', 'job.started', 'job.finished'] as const;
type HandledEvent = (typeof handledEvents)[number];
const isHandled = (event: string): event is HandledEvent => handledEvents.includes(event as HandledEvent);

/** Buildkite spells it `canceled` (https://buildkite.com/docs/apis/rest-api/builds#job-data-model). */
const cancelledStates: readonly string[] = ['canceled', 'canceling', 'cancelled'];

function buildActionFor(event: HandledEvent, state: string | null | undefined): BuildAction {
  if (event === 'job.scheduled') return 'queued';
  if (event === 'job.started') return 'started';
  return state != null && cancelledStates.includes(state) ? 'cancelled' : 'completed';
}

export interface BuildkiteReceiverSettings extends Omit<BuildkiteTrustPolicy, 'now'> {
  readonly signatureToleranceSeconds: number;
  readonly acceptTokenHeader: boolean;
  readonly now: () => number;
}

/** Buildkite's webhook side, built from settings alone (no API token, no agent token). */
export function createBuildkiteWebhookReceiver(settings: BuildkiteReceiverSettings): WebhookReceiver {
  return {
    name: 'buildkite',
    signing: settings.acceptTokenHeader
      ? buildkiteSignatureOrTokenSigning(settings.signatureToleranceSeconds)
      : buildkiteSigning(settings.signatureToleranceSeconds),
    parseWebhook(input) {
      const read = parseDelivery(input);
      if (read.kind !== 'job') return read;
      return judgeBuildkiteJob(read.origin, settings) ?? read.parsed;
    },
  };
}

/** Parses a verified Buildkite delivery into a `BuildEvent`, without judging its origin; never throws. */
export function parseBuildkiteWebhook(input: WebhookInput): ParsedWebhook {
  const read = parseDelivery(input);
  return read.kind === 'job' ? read.parsed : read;
}

type DeliveryParse = ParsedWebhook | { kind: 'job'; parsed: ParsedWebhook; origin: BuildkiteJobOrigin };

/** The organization a job event names: its `organization`, else the one in `pipeline.url`. */
function organizationOf(body: JobEventBody): string | undefined {
  if (body.organization) return body.organization.slug;
  const match = /\/organizations\/([^/?#]+)\/pipelines\//.exec(body.pipeline.url ?? '');
  const named = match?.[1];
  return named !== undefined && slugPattern.test(named) ? named : undefined;
}

function parseDelivery(input: WebhookInput): DeliveryParse {
  const json = parseJsonBody(input.rawBody);
  if (!json.ok) return json.invalid;
  // The body's `event` is signed; the header is not (the HMAC covers the body alone), so the body
  // decides and a header that disagrees is refused rather than believed.
  const named = v.safeParse(eventSchema, json.value);
  if (!named.success) return invalidFromIssues(named.issues);
  const { event } = named.output;
  const header = input.headers[buildkiteEventHeader];
  if (header !== undefined && header !== event)
    return {
      kind: 'invalid',
      field: `header ${buildkiteEventHeader}`,
      problem: "does not match the body's event",
    };
  if (!isHandled(event)) return { kind: 'ignored', reason: `event ${event} needs no agent` };

  const body = v.safeParse(jobEventSchema, json.value);
  if (!body.success) return invalidFromIssues(body.issues);
  const { job, build, pipeline } = body.output;
  // Only command steps (`script`) run on an agent; a finished trigger or wait step is not ours.
  if (job.type !== undefined && job.type !== 'script')
    return { kind: 'ignored', reason: `a ${job.type} job runs on no agent` };
  const organization = organizationOf(body.output);
  if (organization === undefined)
    return { kind: 'invalid', field: 'pipeline.url', problem: 'does not name the organization' };

  const action = buildActionFor(event, job.state);
  const origin: BuildkiteJobOrigin = {
    action,
    organization,
    pipeline: pipeline.slug,
    visibility: pipeline.visibility ?? undefined,
    repository: pipeline.repository ?? undefined,
    pullRequestRepository: build?.pull_request?.repository ?? undefined,
    signedTimestamp: hasSignedTimestamp(input.headers),
    dates: [job.created_at ?? undefined, job.scheduled_at ?? undefined, job.runnable_at ?? undefined],
  };
  const parsed: ParsedWebhook = {
    kind: 'event',
    // Buildkite sends no delivery id; `<event>:<job id>` is stable across its retries of one delivery
    // and distinct for each of a job's events (a retried job is a new job with a new id).
    event: buildkiteJobEvent(action, `${event}:${job.id}`, {
      jobId: job.id,
      organization,
      pipeline: pipeline.slug,
      buildNumber: build?.number,
      labels: job.agent_query_rules ?? [],
      url: job.web_url,
    }),
  };
  return { kind: 'job', parsed, origin };
}

/** What a `BuildEvent` for one Buildkite job is made of, whether a webhook or the REST API told of it. */
export interface BuildkiteJobFacts {
  readonly jobId: string;
  readonly organization: string;
  readonly pipeline: string;
  readonly buildNumber?: number;
  readonly labels: readonly string[];
  readonly url?: string;
}

/**
 * The one place a Buildkite job becomes a `BuildEvent`: the webhook parser and the poller (polling.ts)
 * both call it, so a polled job and its lost webhook give the same event and the same jobKey.
 */
export function buildkiteJobEvent(
  action: BuildAction,
  deliveryId: string,
  facts: BuildkiteJobFacts,
): BuildEvent {
  return {
    source: 'buildkite',
    // Job UUIDs are unique across Buildkite; lower-cased so that both sources agree on one key.
    jobKey: facts.jobId.toLowerCase(),
    action,
    labels: facts.labels,
    origin: originOf(`${facts.organization}/${facts.pipeline}`, pipelineMatches),
    deliveryId,
    ...(facts.url === undefined ? {} : { url: facts.url }),
    details: {
      source: 'buildkite',
      organization: facts.organization,
      pipeline: facts.pipeline,
      ...(facts.buildNumber === undefined ? {} : { buildNumber: facts.buildNumber }),
      jobId: facts.jobId,
    },
  };
}
