import * as z from '../../schema/zod';
import { invalidFromZod, parseJsonBody } from '../parse-json';
import type { BuildAction, BuildEvent, ParsedWebhook, WebhookInput, WebhookReceiver } from '../types';
import { slugPattern } from './pipeline-pattern';
import { buildkiteSignatureOrTokenSigning, buildkiteSigning, hasSignedTimestamp } from './signing';
import { type BuildkiteJobOrigin, type BuildkiteTrustPolicy, judgeBuildkiteJob } from './trust';

/** https://buildkite.com/docs/apis/webhooks/pipelines#http-headers */
export const buildkiteEventHeader = 'x-buildkite-event';

const slug = z.string().check(z.regex(slugPattern, 'must be a Buildkite slug'));
// Job ids are UUIDs (https://buildkite.com/docs/apis/rest-api/builds#job-data-model); they end up in
// agent settings and poll ids, so anything else is refused.
export const jobIdSchema = z.string().check(z.regex(/^[0-9A-Fa-f-]{1,64}$/, 'must be a job UUID'));
const date = z.optional(z.nullable(z.string().check(z.maxLength(64))));
// agent_query_rules are the job's `agents:` targeting, `key=value` strings such as `queue=kubernetes`
// (https://buildkite.com/docs/agent/v3/queues); they pick the template, unchanged.
export const queryRulesSchema = z
  .array(z.string().check(z.minLength(1), z.maxLength(200)))
  .check(z.maxLength(100));

/**
 * The parts of a job event Pitcrew reads (https://buildkite.com/docs/apis/webhooks/pipelines/job-events:
 * `job`, `build`, `pipeline`, `sender`); Buildkite sends much more, which zod strips.
 */
const jobEventSchema = z.object({
  job: z.object({
    id: jobIdSchema,
    type: z.optional(z.string().check(z.maxLength(40))),
    state: z.optional(z.nullable(z.string().check(z.maxLength(40)))),
    agent_query_rules: z.optional(z.nullable(queryRulesSchema)),
    web_url: z.optional(z.nullable(z.url())),
    created_at: date,
    scheduled_at: date,
    runnable_at: date,
  }),
  build: z.optional(
    z.object({
      number: z.optional(z.int().check(z.nonnegative())),
      pull_request: z.optional(
        z.nullable(z.object({ repository: z.optional(z.nullable(z.string().check(z.maxLength(2000)))) })),
      ),
    }),
  ),
  pipeline: z.object({
    slug,
    // `https://api.buildkite.com/v2/organizations/{org}/pipelines/{slug}`: where the organization is named.
    url: z.optional(z.string().check(z.maxLength(2000))),
    visibility: z.optional(z.nullable(z.string().check(z.maxLength(20)))),
    repository: z.optional(z.nullable(z.string().check(z.maxLength(2000)))),
  }),
  organization: z.optional(z.object({ slug })),
});
type JobEventBody = z.infer<typeof jobEventSchema>;

const eventSchema = z.object({ event: z.string().check(z.minLength(1), z.maxLength(100)) });

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
  const named = eventSchema.safeParse(json.value);
  if (!named.success) return invalidFromZod(named.error);
  const { event } = named.data;
  const header = input.headers[buildkiteEventHeader];
  if (header !== undefined && header !== event)
    return {
      kind: 'invalid',
      field: `header ${buildkiteEventHeader}`,
      problem: "does not match the body's event",
    };
  if (!isHandled(event)) return { kind: 'ignored', reason: `event ${event} needs no agent` };

  const body = jobEventSchema.safeParse(json.value);
  if (!body.success) return invalidFromZod(body.error);
  const { job, build, pipeline } = body.data;
  // Only command steps (`script`) run on an agent; a finished trigger or wait step is not ours.
  if (job.type !== undefined && job.type !== 'script')
    return { kind: 'ignored', reason: `a ${job.type} job runs on no agent` };
  const organization = organizationOf(body.data);
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
      url: job.web_url ?? undefined,
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
