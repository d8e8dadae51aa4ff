import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import * as v from '../schema/valibot';
import { requestStatuses, type RequestRecord } from '../requests/record';
import type { PagePosition } from '../state/request-queries';
import { OpsInputError, OpsNotFoundError } from './errors';
import type { OpsEvent } from './event';
import type { OpsPorts } from './ports';

/** One line of `list`: what an operator scans for. Request records never hold secrets. */
export interface RequestSummary {
  readonly requestId: string;
  readonly source: string;
  readonly jobKey: string;
  readonly status: string;
  readonly template?: string;
  readonly podName?: string;
  readonly since: string;
  readonly createdAt: string;
  readonly reason?: string;
  readonly url?: string;
}

/**
 * How much of a reason a `list` line shows; `describe` shows it whole. A reason may quote what a
 * build asked for (a GitLab job's hundred tags of 255 characters), and a page of 500 such lines
 * would pass the 6 MB a Lambda answer may hold, so the list could not be read.
 */
export const listReasonChars = 300;

/** The reason's first `listReasonChars` characters, by code point: a cut never splits a pair. */
function clipped(reason: string | undefined): string | undefined {
  if (reason === undefined || reason.length <= listReasonChars) return reason;
  const characters = Array.from(reason);
  if (characters.length <= listReasonChars) return reason;
  return `${characters.slice(0, listReasonChars).join('')}… (${characters.length - listReasonChars} more characters: describe shows it whole)`;
}

const summarise = (record: RequestRecord): RequestSummary => ({
  requestId: record.requestId,
  source: record.source,
  jobKey: record.jobKey,
  status: record.status,
  template: record.template,
  podName: record.podName,
  since: record.statusSince,
  createdAt: record.createdAt,
  reason: clipped(record.reason),
  url: record.url,
});

// The cursor is the page position, base64url JSON: opaque to callers, checked when it comes back,
// down to the index key it holds (a request's, in the cursor's state), which goes to DynamoDB as
// the query's start: a made-up one is refused here, naming the cursor.
const positionSchema = v.pipe(
  v.strictObject({
    status: v.picklist(requestStatuses),
    key: v.strictObject({
      pk: v.pipe(v.string(), v.startsWith('request#')),
      sk: v.literal('request'),
      status: v.picklist(requestStatuses),
      statusSince: v.string(),
    }),
  }),
  v.check((position) => position.key.status === position.status),
);
const encodeCursor = (position: PagePosition): string =>
  Buffer.from(JSON.stringify(position)).toString('base64url');

function decodeCursor(cursor: string): PagePosition {
  try {
    return v.parse(positionSchema, JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new OpsInputError(
      'cursor',
      'is not a cursor that list gave out: pass the `next` of the previous page',
    );
  }
}

/** ops `list`: requests by state (all states, active first, when none is given), oldest first. */
export async function list(
  event: Extract<OpsEvent, { action: 'list' }>,
  ports: OpsPorts,
): Promise<{ items: RequestSummary[]; next?: string }> {
  const after = event.cursor === undefined ? undefined : decodeCursor(event.cursor);
  const statuses = event.status ? [event.status] : requestStatuses;
  if (after && !statuses.includes(after.status))
    throw new OpsInputError('cursor', `belongs to a list of other states than this one`);
  const page = await ports.queries.listPage({
    statuses,
    template: event.template,
    source: event.source,
    limit: event.limit,
    after,
  });
  return { items: page.items.map(summarise), ...(page.next ? { next: encodeCursor(page.next) } : {}) };
}

export interface PodSummary {
  readonly name: string;
  readonly phase: string;
  readonly node?: string;
  readonly createdAt?: string;
  readonly deleting: boolean;
  readonly containers: {
    name: string;
    state: string;
    reason?: string;
    message?: string;
    exitCode?: number;
  }[];
}

function summarisePod(pod: V1Pod): PodSummary {
  return {
    name: pod.metadata?.name ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    node: pod.spec?.nodeName,
    createdAt: pod.metadata?.creationTimestamp?.toISOString(),
    deleting: pod.metadata?.deletionTimestamp !== undefined,
    containers: (pod.status?.containerStatuses ?? []).map((container) => {
      const { waiting, running, terminated } = container.state ?? {};
      return {
        name: container.name,
        state: waiting ? 'waiting' : running ? 'running' : terminated ? 'terminated' : 'unknown',
        reason: waiting?.reason ?? terminated?.reason,
        message: waiting?.message ?? terminated?.message,
        exitCode: terminated?.exitCode,
      };
    }),
  };
}

const summariseEvent = (event: CoreV1Event) => ({
  type: event.type,
  reason: event.reason,
  message: event.message,
  count: event.count,
  lastSeen: (event.lastTimestamp ?? event.eventTime ?? event.metadata.creationTimestamp)?.toString(),
});

/** ops `describe`: the whole record, and its pod's phase and events when it has one. */
export async function describe(
  event: Extract<OpsEvent, { action: 'describe' }>,
  ports: OpsPorts,
): Promise<{ request: RequestRecord; pod?: PodSummary; events: ReturnType<typeof summariseEvent>[] }> {
  const record = await ports.requests.get(event.requestId);
  if (!record) throw new OpsNotFoundError(`no request '${event.requestId}': see \`list\` for the ids`);
  if (!record.podName) return { request: record, events: [] };
  const agent = await ports.agents.describeAgent(ports.config.namespace, record.podName);
  return {
    request: record,
    ...(agent.pod ? { pod: summarisePod(agent.pod) } : {}),
    events: agent.events.map(summariseEvent),
  };
}
