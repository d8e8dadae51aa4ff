import * as v from '../../schema/valibot';
import { failureFor, isOk } from './api';
import { type JenkinsApi, parseJson, unexpectedAnswer } from './agents';

/**
 * `GET /queue/item/ID/api/json`: whether Jenkins still waits to run queue item `id`. While it waits
 * Jenkins answers the item (a WaitingItem, BlockedItem or BuildableItem); once it left the queue,
 * started or cancelled, a `Queue$LeftItem` for about five minutes, then 404 (Queue.getItem, which
 * also looks in its cache of left items).
 */
export async function queueItemWaits(api: JenkinsApi, id: number): Promise<boolean> {
  const purpose = `read queue item ${id}`;
  const response = await api.fetch({ method: 'GET', path: `queue/item/${id}/api/json`, purpose });
  if (response.status === 404) return false;
  if (!isOk(response))
    throw failureFor(response, purpose, api.now(), {
      forbidden:
        "the API token's user needs Overall/Read permission (and Job/Read on the job, or Jenkins answers 404)",
      notFound: '',
    });
  // Built here, not at the top of the module: provision, which imports the adapter, never asks.
  const item = v.safeParse(v.object({ _class: v.string() }), parseJson(response.text));
  if (!item.success) throw unexpectedAnswer(purpose, response.status);
  return !item.output._class.endsWith('$LeftItem');
}
