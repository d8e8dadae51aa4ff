import * as v from '../../schema/valibot';
import type { BuildEvent } from '../types';
import { failureFor, isOk } from './api';
import { type JenkinsApi, parseJson, unexpectedAnswer } from './agents';
import { readWhy } from './queue-why';
import { queuedBuildFromQueueItem } from './webhook';

/*
 * Jenkins's lost-event polling (reaper.pollQueue): its build queue read as the `queued` events their
 * lost webhooks would have been. Only the reaper polls, and it loads this through ../pollers.ts, so
 * provision and ops never load it (the adapter imports it on its first poll).
 */

const queueSchema = v.object({
  items: v.array(
    v.object({
      id: v.pipe(v.int(), v.gtValue(0)),
      why: v.nullish(v.string()),
      inQueueSince: v.nullish(v.number()),
      task: v.nullish(v.object({ name: v.nullish(v.string()), url: v.nullish(v.string()) })),
    }),
  ),
});

export interface QueueItem {
  readonly id: number;
  readonly why?: string;
  /** The label or label expression the why text names, when it names one. */
  readonly label?: string;
  /** Whether the why is a text Jenkins gives with the name of the one node with the label. */
  readonly mayNameNode?: boolean;
  readonly taskName?: string;
  readonly taskUrl?: string;
  readonly inQueueSince?: number;
}

const queueTree = 'items[id,why,inQueueSince,task[name,url]]';

/** `GET /queue/api/json`: what waits in the build queue now, for finding builds whose webhook was lost. */
export async function listQueueItems(api: JenkinsApi): Promise<QueueItem[]> {
  const purpose = 'list the build queue';
  const response = await api.fetch({
    method: 'GET',
    path: `queue/api/json?tree=${encodeURIComponent(queueTree)}`,
    purpose,
  });
  if (!isOk(response)) {
    throw failureFor(response, purpose, api.now(), {
      forbidden: "the API token's user needs Overall/Read permission",
      notFound: 'url does not point at a Jenkins controller (no /queue/api/json there)',
    });
  }
  const queue = v.safeParse(queueSchema, parseJson(response.text));
  if (!queue.success) throw unexpectedAnswer(purpose, response.status);
  return queue.output.items.map((item) => {
    const read = item.why == null ? undefined : readWhy(item.why);
    return {
      id: item.id,
      ...(item.why == null ? {} : { why: item.why }),
      ...(read === undefined ? {} : { label: read.label, mayNameNode: read.mayNameNode }),
      ...(item.task?.name == null ? {} : { taskName: item.task.name }),
      ...(item.task?.url == null ? {} : { taskUrl: item.task.url }),
      ...(item.inQueueSince == null ? {} : { inQueueSince: item.inQueueSince }),
    };
  });
}

/** The queued builds waiting at the controller at `controllerUrl`, as `queued` events. */
export async function listQueuedBuilds(api: JenkinsApi, controllerUrl: string): Promise<BuildEvent[]> {
  const items = await listQueueItems(api);
  return items.flatMap((item) => queuedBuildFromQueueItem(item, controllerUrl) ?? []);
}
