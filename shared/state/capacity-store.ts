import type { Clock } from '../ports/clock';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { terminalStatuses, type RequestStatus } from '../requests/record';
import type {
  CapacityStore,
  CounterName,
  CounterSnapshot,
  FreshSlotRequest,
  ReleaseOptions,
  Reservation,
  SlotBatch,
  SlotRequest,
} from '../ports/capacity-store';
import { StateUnavailableError } from './errors';
import { counterKey, keys } from './keys';
import { batchFits, countersFrom, endedExpiresAt, releaseFromStates, reserveFromStates } from './moves';
import { on } from '../ports/operation';
import { tableAccess, type TableAccess } from './table-access';

export type { CapacityStore, CounterSnapshot, Reservation, SlotRequest } from '../ports/capacity-store';

const maxConflictRetries = 8;

/** Runs a transaction, retrying DynamoDB's transaction conflicts (other writers on the counters). */
async function transact(
  table: TableAccess,
  input: ConstructorParameters<typeof TransactWriteCommand>[0],
): Promise<string[] | undefined> {
  // One token for all attempts of this transaction: if the SDK retries one that had committed,
  // DynamoDB answers it as done instead of failing its conditions a second time.
  const request = { ...input, ClientRequestToken: randomUUID() };
  for (let attempt = 0; ; attempt++) {
    try {
      await table.db.send(new TransactWriteCommand(request));
      return undefined;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException))
        throw new StateUnavailableError('TransactWriteItems', { cause: error });
      const reasons = (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
      // Only failed conditions are answers; throttling and the like are failures to retry later.
      const decided =
        reasons.length > 0 && reasons.every((code) => code === 'None' || code === 'ConditionalCheckFailed');
      if (decided) return reasons;
      const conflicted = reasons.some((code) => code === 'TransactionConflict');
      if (!conflicted || attempt >= maxConflictRetries)
        throw new StateUnavailableError(`TransactWriteItems (${reasons.join(', ')})`, { cause: error });
      // Full jitter keeps concurrent provisioners from colliding again in lockstep.
      await sleep(Math.random() * Math.min(1000, 20 * 2 ** attempt));
    }
  }
}

/**
 * A counter taking `count` slots, only while that leaves it at or under `cap`. Every move of a
 * counter also counts in `changes`, which a repair requires unchanged (repairCounter).
 */
const takeSlots = (table: TableAccess, key: Record<string, string>, count: number, cap: number) => ({
  Update: {
    TableName: table.tableName,
    Key: key,
    UpdateExpression:
      'SET used = if_not_exists(used, :zero) + :count, changes = if_not_exists(changes, :zero) + :one',
    ConditionExpression: 'attribute_not_exists(used) OR used <= :room',
    ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':count': count, ':room': cap - count },
  },
});

/** A counter giving one slot back, only while it holds one (`takeSlots`'s reverse). */
const giveSlotBack = (table: TableAccess, key: Record<string, string>) => ({
  Update: {
    TableName: table.tableName,
    Key: key,
    UpdateExpression: 'SET used = used - :one, changes = if_not_exists(changes, :zero) + :one',
    ConditionExpression: 'used > :zero',
    ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
  },
});

/** A request moving to `provisioning` with its slot, only from `from` and while it holds none. */
function moveToProvisioning(
  table: TableAccess,
  request: Pick<SlotRequest, 'requestId' | 'podName' | 'attempts'>,
  slot: Pick<SlotRequest, 'template' | 'from' | 'attemptSeconds'>,
) {
  const from = reserveFromStates(slot.from);
  const fromValues = Object.fromEntries(from.map((status, index) => [`:from${index}`, status]));
  const attemptUntil =
    slot.attemptSeconds === undefined ? undefined : table.now().getTime() + slot.attemptSeconds * 1000;
  return {
    Update: {
      TableName: table.tableName,
      Key: keys.request(request.requestId),
      UpdateExpression: `SET #status = :provisioning, statusSince = :at, holdsSlot = :true, template = :template, podName = :podName${attemptUntil === undefined ? '' : ', attemptUntilMs = :attemptUntil'} REMOVE externalId ADD attempts :one`,
      ConditionExpression: `#status IN (${Object.keys(fromValues).join(', ')}) AND holdsSlot = :false AND attempts = :attempts`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ...fromValues,
        ':provisioning': 'provisioning',
        ':at': table.now().toISOString(),
        ':true': true,
        ':false': false,
        ':one': 1,
        ':attempts': request.attempts,
        ':template': slot.template,
        ':podName': request.podName,
        ...(attemptUntil === undefined ? {} : { ':attemptUntil': attemptUntil }),
      },
    },
  };
}

export async function reserveSlot(table: TableAccess, slot: SlotRequest): Promise<Reservation> {
  if (slot.globalCap <= 0) return { reserved: false, reason: 'global-cap' };
  if (slot.templateCap <= 0) return { reserved: false, reason: 'template-cap' };
  const failed = await transact(table, {
    TransactItems: [
      takeSlots(table, keys.globalCounter(), 1, slot.globalCap),
      takeSlots(table, keys.templateCounter(slot.template), 1, slot.templateCap),
      moveToProvisioning(table, slot, slot),
    ],
  });
  if (!failed) return { reserved: true };
  if (failed[0] === 'ConditionalCheckFailed') return { reserved: false, reason: 'global-cap' };
  if (failed[1] === 'ConditionalCheckFailed') return { reserved: false, reason: 'template-cap' };
  return { reserved: false, reason: 'request-moved' };
}

/**
 * Takes a new request's slot on its message's snapshot (the port's `reserveFresh`): `reserve`'s
 * transaction from `queued`, its request update further conditioned on the record being as created
 * (never reserved, the snapshot's digest), with a check that the operator settings the caps came
 * from are still the stored ones. One round trip where reading first takes two.
 */
export async function reserveFreshSlot(table: TableAccess, slot: FreshSlotRequest): Promise<boolean> {
  if (slot.globalCap <= 0 || slot.templateCap <= 0) return false;
  const move = moveToProvisioning(table, { ...slot, attempts: 0 }, { ...slot, from: ['queued'] }).Update;
  const failed = await transact(table, {
    TransactItems: [
      takeSlots(table, keys.globalCounter(), 1, slot.globalCap),
      takeSlots(table, keys.templateCounter(slot.template), 1, slot.templateCap),
      {
        Update: {
          ...move,
          ConditionExpression: `${move.ConditionExpression} AND digest = :digest`,
          ExpressionAttributeValues: {
            ...move.ExpressionAttributeValues,
            ':digest': slot.digest,
          },
        },
      },
      {
        ConditionCheck: {
          TableName: table.tableName,
          Key: keys.settings(),
          // Version 0: never written. Any item since, even one without a version, fails the check.
          ...(slot.settingsVersion === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'version = :version',
                ExpressionAttributeValues: { ':version': slot.settingsVersion },
              }),
        },
      },
    ],
  });
  return failed === undefined;
}

/**
 * Takes slots for several requests of one template in one transaction: both counters move once,
 * by the number of requests, so a provision batch writes the hot counter items once instead of
 * once per request. All or nothing: false when the caps lack room for all of them or any request
 * moved, and the caller reserves one at a time instead (which fills what room there is).
 */
export async function reserveSlots(table: TableAccess, slot: SlotBatch): Promise<boolean> {
  const count = slot.requests.length;
  if (count === 0) return true;
  if (!batchFits(slot)) return false;
  const failed = await transact(table, {
    TransactItems: [
      takeSlots(table, keys.globalCounter(), count, slot.globalCap),
      takeSlots(table, keys.templateCounter(slot.template), count, slot.templateCap),
      ...slot.requests.map((request) => moveToProvisioning(table, request, slot)),
    ],
  });
  return failed === undefined;
}

/**
 * Gives a request's slot back and moves it to `to` (queued for a retry, or an end state), in one
 * transaction that only applies while the request holds the slot and is in a state the move into
 * `to` starts from (the state table's `release` or `requeue`). Returns false if it did not.
 */
export async function releaseSlot(
  table: TableAccess,
  requestId: string,
  template: string,
  to: RequestStatus,
  reason?: string,
  options: ReleaseOptions = {},
): Promise<boolean> {
  const at = table.now().toISOString();
  const ending = terminalStatuses.includes(to);
  const fromValues = Object.fromEntries(
    releaseFromStates(to)
      .filter((status) => options.from?.includes(status) ?? true)
      .map((status, index) => [`:from${index}`, status]),
  );
  // A narrowed from that leaves no state: nothing to move (and `IN ()` is no expression).
  if (Object.keys(fromValues).length === 0) return false;
  const set = [
    '#status = :to',
    'statusSince = :at',
    'holdsSlot = :false',
    ...(reason ? ['reason = :reason'] : []),
    ...(ending ? ['expiresAt = :expiresAt'] : []),
  ];
  const add = [
    ...(options.countRetry ? ['retriesUsed :one'] : []),
    ...(options.undoAttempt ? ['attempts :undo'] : []),
  ];
  const requestUpdate = {
    TableName: table.tableName,
    Key: keys.request(requestId),
    UpdateExpression: `SET ${set.join(', ')}${add.length > 0 ? ` ADD ${add.join(', ')}` : ''}`,
    // Never bring an ended request back to life, whoever still thinks it holds a slot: no terminal
    // state is a from-state, nor is `ending` (the CI ended the build) when the request would go again.
    ConditionExpression: `holdsSlot = :true AND #status IN (${Object.keys(fromValues).join(', ')})${options.podName ? ' AND podName = :podName' : ''}${options.statusSince ? ' AND statusSince = :since' : ''}`,
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ...fromValues,
      ':to': to,
      ':at': at,
      ':true': true,
      ':false': false,
      ...(reason ? { ':reason': reason } : {}),
      ...(ending ? { ':expiresAt': endedExpiresAt(table.now()) } : {}),
      ...(options.countRetry ? { ':one': 1 } : {}),
      ...(options.undoAttempt ? { ':undo': -1 } : {}),
      ...(options.podName ? { ':podName': options.podName } : {}),
      ...(options.statusSince ? { ':since': options.statusSince } : {}),
    },
  };
  const failed = await transact(table, {
    TransactItems: [
      giveSlotBack(table, keys.globalCounter()),
      giveSlotBack(table, keys.templateCounter(template)),
      { Update: requestUpdate },
    ],
  });
  if (failed === undefined) return true;
  if (failed[2] !== 'None') return false;
  // Only a counter already at 0 (drift) refused: free the request anyway; the reaper repairs the counter.
  try {
    await table.db.send(new UpdateCommand(requestUpdate));
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw new StateUnavailableError('UpdateItem (release)', { cause: error });
  }
}

/** Every counter: `global` and one per template that ever took a slot. */
export async function readCounters(table: TableAccess): Promise<CounterSnapshot> {
  try {
    const { Items = [] } = await table.db.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.globalCounter().pk },
        ConsistentRead: true,
      }),
    );
    return countersFrom(Items);
  } catch (error) {
    throw new StateUnavailableError('Query (counters)', { cause: error });
  }
}

/** A counter still at `observed` after `changes` moves (an absent counter is 0 after 0). */
const unmovedSince = (observed: number, changes: number): string =>
  `(${observed === 0 ? 'attribute_not_exists(used) OR used = :observed' : 'used = :observed'}) AND ${
    changes === 0 ? '(attribute_not_exists(changes) OR changes = :changes)' : 'changes = :changes'
  }`;

/**
 * Sets a counter to `expected` only if it has not moved since the reaper read it (`observed`
 * slots after `changes` moves) before it listed the requests, so a reservation or release made
 * meanwhile is never undone, even one that a release or reservation cancelled out in `used`.
 * False if it moved.
 */
export async function repairCounter(
  table: TableAccess,
  counter: CounterName,
  observed: number,
  expected: number,
  changes = 0,
): Promise<boolean> {
  return updateUnmovedCounter(table, counter, observed, changes, 'counter repair', {
    UpdateExpression: 'SET used = :expected, changes = if_not_exists(changes, :zero) + :one',
    ExpressionAttributeValues: { ':expected': expected, ':zero': 0, ':one': 1 },
  });
}

/** One write to a counter while it is at `observed` after `changes` moves; false if it moved. */
async function updateUnmovedCounter(
  table: TableAccess,
  counter: CounterName,
  observed: number,
  changes: number,
  what: string,
  update: { UpdateExpression: string; ExpressionAttributeValues: Record<string, unknown> },
): Promise<boolean> {
  try {
    await table.db.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: counterKey(counter),
        UpdateExpression: update.UpdateExpression,
        ConditionExpression: unmovedSince(observed, changes),
        ExpressionAttributeValues: {
          ...update.ExpressionAttributeValues,
          ':observed': observed,
          ':changes': changes,
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw new StateUnavailableError(`UpdateItem (${what})`, { cause: error });
  }
}

/** Notes a counter's drift at `changes` while it is at `observed` after `changes` moves (the port's). */
export async function noteCounterDrift(
  table: TableAccess,
  counter: CounterName,
  observed: number,
  changes = 0,
): Promise<boolean> {
  return updateUnmovedCounter(table, counter, observed, changes, 'counter drift', {
    UpdateExpression: 'SET driftSeen = :changes',
    ExpressionAttributeValues: {},
  });
}

/**
 * Capacity as counters in the table: `capacity/global` and `capacity/template#<name>` hold how many
 * agents are live or being made. A slot is taken in one transaction with the request's move to
 * `provisioning` and `holdsSlot = true`, and given back in one transaction that requires
 * `holdsSlot = true`: so no cap is ever overshot under any concurrency, and no slot is taken or
 * released twice for a request. The reaper repairs the counters from the pods it sees. The contract
 * is the port's (shared/ports/capacity-store.ts). A Lambda that calls only some of these binds
 * those alone (shared/runtime/*-ports.ts), so its bundle holds no other.
 */
export function createCapacityStore(
  db: DynamoDBDocumentClient,
  tableName: string,
  now?: Clock,
): CapacityStore {
  const table = tableAccess(db, tableName, now);
  return {
    reserve: on(table, reserveSlot),
    reserveMany: on(table, reserveSlots),
    reserveFresh: on(table, reserveFreshSlot),
    release: on(table, releaseSlot),
    readCounters: on(table, readCounters),
    repairCounter: on(table, repairCounter),
    noteCounterDrift: on(table, noteCounterDrift),
  };
}
