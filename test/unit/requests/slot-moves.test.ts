import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createMemoryProvisionQueue } from '../../../shared/queue/memory';
import { settle, type ActPorts } from '../../../shared/reap/act';
import { requestStatuses, type RequestRecord, type RequestStatus } from '../../../shared/requests';
import type { RequestStore } from '../../../shared/state/request-store';
import { createCapacityStore } from '../../../shared/state/capacity-store';
import { queuedRecord } from '../../support/records';

/**
 * Two writes the state table (shared/requests/transitions.ts) found admitting moves that lose track
 * of a slot or of an ended build. No servers: the first reads the condition the capacity store sends,
 * the second runs the reaper's settle against a store that applies conditions as DynamoDB does.
 */

interface SentUpdate {
  readonly ConditionExpression: string;
  readonly ExpressionAttributeValues: Record<string, unknown>;
}

/** A client that answers every command with success and keeps what it was sent. */
function recordingClient(): { db: DynamoDBDocumentClient; sent: { input: unknown }[] } {
  const sent: { input: unknown }[] = [];
  const db = {
    send: (command: { input: unknown }) => {
      sent.push(command);
      return Promise.resolve({});
    },
  } as unknown as DynamoDBDocumentClient;
  return { db, sent };
}

/** The states a request update's condition admits, read from its `[NOT (]#status IN (...)` clause. */
function admitted(update: SentUpdate): RequestStatus[] {
  const match = /(NOT \()?#status IN \(([^)]*)\)/.exec(update.ConditionExpression);
  if (!match) throw new Error(`no status condition in ${update.ConditionExpression}`);
  const listed = (match[2] ?? '').split(',').map((name) => update.ExpressionAttributeValues[name.trim()]);
  return requestStatuses.filter((status) => listed.includes(status) !== (match[1] !== undefined));
}

/** The request's update in the last transaction sent (the counters come first). */
function requestUpdateOf(sent: readonly { input: unknown }[]): SentUpdate {
  const input = sent.at(-1)?.input as { TransactItems: { Update: SentUpdate }[] };
  const update = input.TransactItems.at(-1)?.Update;
  if (!update) throw new Error('no transaction sent');
  return update;
}

describe('giving a slot back (capacity store release)', () => {
  it('never takes an ending request back to queued or waiting: the CI ended that build', async () => {
    for (const to of ['queued', 'waiting'] as const) {
      const { db, sent } = recordingClient();
      await createCapacityStore(db, 'table').release('r1', 'tpl', to, 'retrying');
      expect(admitted(requestUpdateOf(sent))).not.toContain('ending');
    }
  });

  it('still ends a request from any active state, ending included, and never an ended one', async () => {
    for (const to of ['completed', 'cancelled', 'failed'] as const) {
      const { db, sent } = recordingClient();
      await createCapacityStore(db, 'table').release('r1', 'tpl', to, 'ended');
      const update = requestUpdateOf(sent);
      expect(admitted(update)).toEqual([
        'queued',
        'waiting',
        'provisioning',
        'provisioned',
        'started',
        'ending',
      ]);
      expect(update.ConditionExpression).toMatch(/^holdsSlot = :true AND /);
    }
  });

  it('reserves only from queued or waiting, holding no slot', async () => {
    const { db, sent } = recordingClient();
    await createCapacityStore(db, 'table').reserve({
      requestId: 'r1',
      template: 'tpl',
      podName: 'pc-tpl-1',
      attempts: 0,
      globalCap: 5,
      templateCap: 5,
    });
    const update = requestUpdateOf(sent);
    expect(admitted(update)).toEqual(['queued', 'waiting']);
    expect(update.ConditionExpression).toMatch(/ AND holdsSlot = :false AND attempts = :attempts$/);
  });
});

/** A request store holding one record, whose transition applies the condition as the real one does. */
function storeHolding(record: RequestRecord): { requests: RequestStore; current: () => RequestRecord } {
  let current = record;
  const transition: RequestStore['transition'] = (_id, from, to, set = {}, _remove = [], options = {}) => {
    if (
      !from.includes(current.status) ||
      (options.holdsSlot !== undefined && current.holdsSlot !== options.holdsSlot)
    )
      return Promise.resolve(undefined);
    current = { ...current, ...set, status: to };
    return Promise.resolve(current);
  };
  return { requests: { transition } as RequestStore, current: () => current };
}

describe("the reaper's settle of a request it read holding no slot", () => {
  // The reaper read it queued (an earlier attempt's pod still around); a provision attempt then
  // reserved it. Moved without giving the slot back, it would be queued or ended with holdsSlot set:
  // no attempt could reserve it again, expiry requires no slot, and the counter would keep the slot.
  const read = queuedRecord('r1', { podName: 'pc-gen-1', template: 'gen' });
  const reserved = { ...read, status: 'provisioning' as const, holdsSlot: true, attempts: 1 };

  for (const outcome of ['failed', 'completed', 'retry'] as const) {
    it(`leaves it to its slot when it took one meanwhile (${outcome})`, async () => {
      const store = storeHolding(reserved);
      const queue = createMemoryProvisionQueue();
      const ports = { requests: store.requests, queue } as unknown as ActPorts;
      expect(await settle(ports, read, outcome, 'stuck')).toBe('none');
      expect(store.current()).toEqual(reserved);
    });
  }

  it('still settles it when it holds none', async () => {
    const store = storeHolding(read);
    const ports = { requests: store.requests } as unknown as ActPorts;
    expect(await settle(ports, read, 'failed', 'stuck')).toBe('ended');
    expect(store.current()).toMatchObject({ status: 'failed', holdsSlot: false });
  });
});
