import * as v from '../../schema/valibot';
import { keptLink } from '../build-link';
import { invalidFromIssues, parseContractDelivery } from '../parse-json';
import { pitcrewSigning } from '../signature';
import type {
  BuildEvent,
  BuildAction,
  LabelRule,
  ParsedWebhook,
  WebhookInput,
  WebhookReceiver,
} from '../types';
import { type CloudEvent, readCloudEvent } from './cloudevents';
import { absoluteUrl, normaliseControllerUrl } from './controller-url';
import { deliveryHeader, deliveryIdSchema, jenkinsContractSchema, queueItemIdSchema } from './contract';
import {
  evaluateLabelExpression,
  labelAtoms,
  maxLabelAtoms,
  parseLabelExpression,
  satisfyingLabels,
} from './label-expression';
import { readWhy } from './queue-why';
import { isPodNameOf } from '../../requests/identity';

export interface JenkinsWebhookSettings {
  /** The configured controller URL, normalised: used when an event does not say which controller sent it. */
  readonly controllerUrl: string;
}

export interface JenkinsReceiverSettings {
  /** The configured controller URL (sources.jenkins.url). */
  readonly url: string;
  /** sources.jenkins.signatureToleranceSeconds */
  readonly signatureToleranceSeconds?: number;
}

/**
 * Jenkins has no webhook signing of its own: the sender (the QueueListener script of docs/jenkins.md,
 * or a relay in front of the CloudEvents plugin) signs `<timestamp>.<body>` with the shared secret
 * (Pitcrew's timestamped scheme, signature.ts). Built from settings alone, no API token.
 */
export function createJenkinsWebhookReceiver(settings: JenkinsReceiverSettings): WebhookReceiver {
  const controllerUrl = normaliseControllerUrl(settings.url);
  if (controllerUrl === undefined) throw new TypeError('The Jenkins url must be an http(s) URL');
  return {
    name: 'jenkins',
    signing: pitcrewSigning(settings.signatureToleranceSeconds),
    parseWebhook: (input) => parseJenkinsWebhook(input, { controllerUrl }),
  };
}

/**
 * A Jenkins webhook whose signature was already checked: a CloudEvent from the CloudEvents plugin (or
 * a relay in front of it), or the JSON contract of contract.ts. Never throws.
 */
export function parseJenkinsWebhook(input: WebhookInput, settings: JenkinsWebhookSettings): ParsedWebhook {
  const read = readCloudEvent(input);
  if (read.kind === 'invalid') return read.invalid;
  if (read.kind === 'cloudevent') return parseCloudEvent(read.event, settings);
  return parseContract(input, settings);
}

interface BuildFacts {
  readonly controllerUrl: string;
  readonly queueItemId: number;
  readonly action: BuildAction;
  readonly label: string;
  readonly labels: readonly string[];
  readonly labelRule?: LabelRule;
  readonly deliveryId: string;
  readonly url?: string;
}

/**
 * jobKey: the controller URL and the queue item id, as Jenkins' queue ids are only unique per
 * controller. Always the configured `url`, never the URL a delivery names: the poll and the
 * QueueListener script key on it, and Jenkins' own root URL (the CloudEvents' `ciUrl`, a build's
 * `fullUrl`) is often another name of the same controller, which gave one build two requests, and two
 * agents, when the poll found it too. The agents are made on the configured controller anyway.
 */
function eventFrom(facts: BuildFacts): ParsedWebhook {
  const { controllerUrl, queueItemId, label } = facts;
  return {
    kind: 'event',
    event: {
      source: 'jenkins',
      jobKey: `${controllerUrl}#${queueItemId}`,
      action: facts.action,
      labels: facts.labels,
      ...(facts.labelRule === undefined ? {} : { labelRule: facts.labelRule }),
      deliveryId: facts.deliveryId,
      ...(facts.url === undefined ? {} : { url: facts.url }),
      details: { source: 'jenkins', controllerUrl, queueItemId, label },
      ...(facts.action === 'started' ? { retireAgentsOnStart: true } : {}),
    },
  };
}

/**
 * A queue item found by polling `/queue/api/json` (reaper.pollQueue), as the `queued` event its lost
 * webhook would have been: same jobKey, labels and details, delivery id `poll:<jobKey>`.
 */
export function queuedBuildFromQueueItem(
  item: { id: number; label?: string; mayNameNode?: boolean; taskUrl?: string },
  controllerUrl: string,
): BuildEvent | undefined {
  if (item.label === undefined) return undefined;
  const labels = labelsFor(item.label, 'why', `queue item ${item.id}`, item.mayNameNode ?? false);
  if (!labels.ok) return undefined;
  const parsed = eventFrom({
    controllerUrl,
    queueItemId: item.id,
    action: 'queued',
    label: labels.label,
    labels: labels.labels,
    labelRule: labels.rule,
    deliveryId: `poll:${controllerUrl}#${item.id}`,
    url: keptLink(item.taskUrl),
  });
  return parsed.kind === 'event' ? parsed.event : undefined;
}

type Labels =
  | { readonly ok: true; readonly label: string; readonly labels: string[]; readonly rule: LabelRule }
  | { readonly ok: false; readonly answer: ParsedWebhook };

/**
 * What a build that asks for `label` needs of a template: its labels, which the agent carries, must
 * satisfy the expression (`rule`), as Jenkins judges the agent before it hands the build over
 * (`[docker, gpu]` fails `docker && !gpu`); `labels` are the fewest that satisfy it
 * (label-expression.ts), which an `exact` template must be.
 */
function labelsFor(label: string, field: string, what: string, mayNameNode = false): Labels {
  const parsed = parseLabelExpression(label);
  if (!parsed.ok) {
    const problem = `names "${label}", which is not a Jenkins label expression: ${parsed.problem}`;
    return { ok: false, answer: { kind: 'invalid', field, problem } };
  }
  const { expression } = parsed;
  const labels = satisfyingLabels(expression);
  if (labels !== undefined) {
    const rule: LabelRule = {
      text: `the label expression "${label}"`,
      satisfiedBy: (templateLabels) => evaluateLabelExpression(expression, new Set(templateLabels)),
      // When exactly one node has the build's label, Jenkins's why names that node, not the label
      // (Queue.BuildableItem.getCauseOfBlockage: BecauseNodeIsOffline, BecauseNodeIsBusy). With one
      // agent per build that is the usual case: the last build's node, still connecting or busy.
      // Any agent of the template that made it serves the build as well as it would.
      ...(mayNameNode && expression.kind === 'atom'
        ? { madeBy: (templateName: string) => isPodNameOf(templateName, expression.name) }
        : {}),
    };
    return { ok: true, label, labels, rule };
  }
  const reason =
    labelAtoms(parsed.expression).length > maxLabelAtoms
      ? `${what} asks for "${label}", which has more than ${maxLabelAtoms} labels`
      : `${what} asks for "${label}", which no agent can satisfy`;
  return { ok: false, answer: { kind: 'ignored', reason } };
}

// ---- CloudEvents ---------------------------------------------------------------------------------

/**
 * The event types of the Jenkins CloudEvents plugin (https://plugins.jenkins.io/cloudevents/,
 * io.jenkins.plugins.cloudevents.model.QueueModel and JobModel): `org.jenkinsci.queue.` or
 * `org.jenkinsci.job.` plus the lower-cased stage. job.finalized and job.failed repeat what
 * job.completed says, so only job.completed is used.
 */
export const jenkinsEventTypes = {
  enteredWaiting: 'org.jenkinsci.queue.entered_waiting',
  left: 'org.jenkinsci.queue.left',
  started: 'org.jenkinsci.job.started',
  completed: 'org.jenkinsci.job.completed',
} as const;

/**
 * A URL an event carries, as text, of at most 2,000 characters as the contract's `job.url`: a build's
 * link becomes the request's url, which the request record and its queue message hold (unbounded, a
 * signed body of 512 KB could make the record pass DynamoDB's 400 KB item, refused at every retry).
 * One over the bound is dropped, not the event (../build-link.ts); the job key never reads one
 * (`eventFrom`).
 */
const linkText = v.fallback(v.nullish(v.pipe(v.string(), v.maxLength(2000))), undefined);

/**
 * QueueModel, the data of queue events: the controller's root URL (`ciUrl`), the queue item id
 * (`jenkinsQueueId`) and, for entered_waiting, the cause of blockage as `queueCauses[].reasonForWaiting`.
 * `why` (the field of the same name in /queue/api/json), `cancelled` (Queue.LeftItem#isCancelled) and
 * `url` are not sent by the plugin; a relay may add them.
 */
const queueDataSchema = v.object({
  jenkinsQueueId: queueItemIdSchema,
  ciUrl: linkText,
  status: v.nullish(v.string()),
  why: v.nullish(v.string()),
  queueCauses: v.nullish(v.array(v.nullable(v.object({ reasonForWaiting: v.nullish(v.string()) })))),
  cancelled: v.nullish(v.boolean()),
  url: linkText,
});
type QueueData = v.InferOutput<typeof queueDataSchema>;

/** JobModel with its BuildModel: `build.queueId` is the queue item the build came from. */
const jobDataSchema = v.object({
  build: v.object({
    queueId: queueItemIdSchema,
    fullUrl: linkText,
    url: linkText,
    phase: v.nullish(v.string()),
    status: v.nullish(v.string()),
  }),
});
type JobData = v.InferOutput<typeof jobDataSchema>;

function parseCloudEvent(event: CloudEvent, settings: JenkinsWebhookSettings): ParsedWebhook {
  switch (event.type) {
    case jenkinsEventTypes.enteredWaiting:
      return withData(event, queueDataSchema, 'ENTERED_WAITING', (data) =>
        queuedFromCloudEvent(event, data, settings),
      );
    case jenkinsEventTypes.left:
      return withData(event, queueDataSchema, 'LEFT', (data) => leftFromCloudEvent(event, data, settings));
    case jenkinsEventTypes.started:
      return withData(event, jobDataSchema, 'STARTED', (data) => jobFromCloudEvent(event, data, settings));
    case jenkinsEventTypes.completed:
      return withData(event, jobDataSchema, 'COMPLETED', (data) => jobFromCloudEvent(event, data, settings));
    default:
      return { kind: 'ignored', reason: `CloudEvent type ${event.type} is not one Pitcrew acts on` };
  }
}

/**
 * Parses the data and checks that the stage it states agrees with the type: a relay that mixed up
 * events is caught here rather than turned into the wrong action.
 */
function withData<T extends QueueData | JobData>(
  event: CloudEvent,
  schema: v.GenericSchema<unknown, T>,
  stage: string,
  next: (data: T) => ParsedWebhook,
): ParsedWebhook {
  const parsed = v.safeParse(schema, event.data);
  if (!parsed.success) return inData(invalidFromIssues(parsed.issues));
  const [field, stated] =
    'build' in parsed.output
      ? ['data.build.phase', parsed.output.build.phase]
      : ['data.status', parsed.output.status];
  if (stated != null && stated.toUpperCase() !== stage) {
    return {
      kind: 'invalid',
      field,
      problem: `is "${stated}", which does not match the event type ${event.type}`,
    };
  }
  return next(parsed.output);
}

/** Names a field of the CloudEvent's data by its path from the event: `data.jenkinsQueueId`. */
function inData(answer: ParsedWebhook): ParsedWebhook {
  if (answer.kind !== 'invalid') return answer;
  return { ...answer, field: answer.field === 'body' ? 'data' : `data.${answer.field}` };
}

interface WhyText {
  readonly field: string;
  readonly text: string;
}

function whyTexts(data: QueueData): WhyText[] {
  const texts: WhyText[] = data.why == null ? [] : [{ field: 'data.why', text: data.why }];
  (data.queueCauses ?? []).forEach((cause, index) => {
    const text = cause?.reasonForWaiting;
    if (text != null) texts.push({ field: `data.queueCauses.${index}.reasonForWaiting`, text });
  });
  return texts;
}

/**
 * A build waits for an agent with the label its why text names. The plugin takes that text when the
 * item enters the queue, which is often still the quiet period ("In the quiet period. Expires in 0 ms"):
 * no label, so ignored, as is any build that waits for something other than an agent.
 */
function queuedFromCloudEvent(
  event: CloudEvent,
  data: QueueData,
  settings: JenkinsWebhookSettings,
): ParsedWebhook {
  const id = data.jenkinsQueueId;
  const texts = whyTexts(data);
  const named = texts
    .map((why) => ({ ...why, read: readWhy(why.text) }))
    .find((why) => why.read !== undefined);
  if (named?.read === undefined) {
    const said =
      texts[0] === undefined ? 'without a why text' : `waiting because "${texts[0].text.slice(0, 120)}"`;
    return { kind: 'ignored', reason: `queue item ${id} entered the queue ${said}, which names no label` };
  }
  const labels = labelsFor(named.read.label, named.field, `queue item ${id}`, named.read.mayNameNode);
  if (!labels.ok) return labels.answer;
  const url = keptLink(absoluteUrl(data.url)?.href);
  return eventFrom({
    controllerUrl: settings.controllerUrl,
    queueItemId: id,
    action: 'queued',
    label: labels.label,
    labels: labels.labels,
    labelRule: labels.rule,
    deliveryId: event.id,
    ...(url === undefined ? {} : { url }),
  });
}

/**
 * An item leaves the queue when it starts or is cancelled; the plugin does not say which, the relay of
 * docs/jenkins.md does (`cancelled`, from Queue.LeftItem#isCancelled). `false` is a start: for a
 * Pipeline's `node` block the only one there is (job.started is the run's, on the controller), and
 * what takes the agents running builds out of rotation.
 */
function leftFromCloudEvent(
  event: CloudEvent,
  data: QueueData,
  settings: JenkinsWebhookSettings,
): ParsedWebhook {
  if (data.cancelled == null) {
    return {
      kind: 'ignored',
      reason: `queue item ${data.jenkinsQueueId} left the queue without saying whether it was cancelled; the agent's build decides what happens next`,
    };
  }
  return eventFrom({
    controllerUrl: settings.controllerUrl,
    queueItemId: data.jenkinsQueueId,
    action: data.cancelled ? 'cancelled' : 'started',
    label: '',
    labels: [],
    deliveryId: event.id,
  });
}

/** A run started or completed; an ABORTED result means it was cancelled. */
function jobFromCloudEvent(
  event: CloudEvent,
  data: JobData,
  settings: JenkinsWebhookSettings,
): ParsedWebhook {
  const action: BuildAction =
    event.type === jenkinsEventTypes.started
      ? 'started'
      : data.build.status === 'ABORTED'
        ? 'cancelled'
        : 'completed';
  const url = keptLink(absoluteUrl(data.build.fullUrl)?.href);
  return eventFrom({
    controllerUrl: settings.controllerUrl,
    queueItemId: data.build.queueId,
    action,
    label: '',
    labels: [],
    deliveryId: event.id,
    ...(url === undefined ? {} : { url }),
  });
}

// ---- The JSON contract ---------------------------------------------------------------------------

/** Several entries must all hold: `linux` and `docker || podman` → `linux && (docker || podman)`. */
function combineLabels(entries: readonly string[]): string {
  if (entries.length === 1) return entries[0] ?? '';
  return entries
    .map((entry) => {
      const parsed = parseLabelExpression(entry);
      return parsed.ok && parsed.expression.kind === 'atom' ? entry : `(${entry})`;
    })
    .join(' && ');
}

function parseContract(input: WebhookInput, settings: JenkinsWebhookSettings): ParsedWebhook {
  const parsed = parseContractDelivery(input, {
    header: deliveryHeader,
    idSchema: deliveryIdSchema,
    bodySchema: jenkinsContractSchema,
  });
  if (!parsed.ok) return parsed.invalid;
  const { action, job } = parsed.body;
  if (job.labels.length === 0 && action === 'queued') {
    return {
      kind: 'ignored',
      reason: `queue item ${job.id} names no label, so any agent Jenkins has can take it`,
    };
  }
  const labels =
    job.labels.length === 0
      ? undefined
      : labelsFor(combineLabels(job.labels), 'job.labels', `queue item ${job.id}`);
  if (labels !== undefined && !labels.ok) return labels.answer;
  return eventFrom({
    controllerUrl: settings.controllerUrl,
    queueItemId: job.id,
    action,
    label: labels?.label ?? '',
    labels: labels?.labels ?? [],
    ...(labels === undefined ? {} : { labelRule: labels.rule }),
    deliveryId: parsed.deliveryId,
    ...(job.url === undefined ? {} : { url: job.url }),
  });
}
