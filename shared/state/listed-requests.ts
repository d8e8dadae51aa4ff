import * as v from '../schema/valibot';
import { requestRecordSchema, type RequestRecord } from '../requests/record';

/** A listed item the request schema does not read: written by another release, or damaged. */
export interface UnreadableRequest {
  readonly requestId: string;
  readonly problem: string;
  /** Its `holdsSlot` and `template` as stored, when they read as such: whose slot it may hold. */
  readonly holdsSlot?: boolean;
  readonly template?: string;
}

/** Hears each unreadable item of a list, which the list then leaves out. */
export type OnUnreadable = (unreadable: UnreadableRequest) => void;

/**
 * Listed items as requests. With `onUnreadable`, an item the schema does not read is handed to it and
 * left out, so one record a later release wrote (a state or value this one does not know, during a
 * deploy's swap or after a rollback) stops no more than itself; without, it throws, as a read of one
 * request does.
 */
export function readListedRequests(
  items: readonly Record<string, unknown>[],
  onUnreadable?: OnUnreadable,
): RequestRecord[] {
  if (!onUnreadable) return items.map((item) => v.parse(requestRecordSchema, item));
  const records: RequestRecord[] = [];
  for (const item of items) {
    try {
      records.push(v.parse(requestRecordSchema, item));
    } catch (error) {
      // Its key says which request it is, whatever its attributes say (keys.ts: `request#<id>`).
      const requestId = String(item.pk).replace(/^request#/, '');
      onUnreadable({
        requestId,
        problem: error instanceof Error ? error.message : String(error),
        ...(typeof item.holdsSlot === 'boolean' ? { holdsSlot: item.holdsSlot } : {}),
        ...(typeof item.template === 'string' ? { template: item.template } : {}),
      });
    }
  }
  return records;
}
