import type { Clock } from '../../ports/clock';
import { terminalStatuses, type RequestStatus } from '../../requests/record';
import type {
  CapacityStore,
  CounterName,
  CounterSnapshot,
  FreshSlotRequest,
  ReleaseOptions,
  Reservation,
  SlotBatch,
  SlotRequest,
} from '../../ports/capacity-store';
import { StateUnavailableError } from '../errors';
import { counterKey, keys } from '../keys';
import { batchFits, countersFrom, endedExpiresAt, releaseFromStates, reserveFromStates } from '../moves';
import type { MemoryItem, MemoryTable } from './table';

/** One write of a transaction: its item, its condition on the item as it is, and the item it writes. */
interface Write {
  readonly key: { pk: string; sk: string };
  readonly condition: (item: MemoryItem | undefined) => boolean;
  /** The item it writes; none for a condition check, which writes nothing. */
  readonly apply?: (item: MemoryItem | undefined) => MemoryItem;
}

/** As DynamoDB answers a cancelled transaction: per write, 'None' or 'ConditionalCheckFailed'. */
type Outcome = 'None' | 'ConditionalCheckFailed';

const number = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/** A counter still at `observed` after `changes` moves (an absent counter is 0 after 0). */
const unmovedSince =
  (observed: number, changes: number) =>
  (item: MemoryItem | undefined): boolean =>
    (item?.used === undefined ? observed === 0 : item.used === observed) &&
    (item?.changes === undefined ? changes === 0 : item.changes === changes);

/**
 * The capacity store in memory: the port's contract (shared/ports/capacity-store.ts) with the DynamoDB
 * adapter's conditions, its transactions all or nothing, held to the same suite
 * (test/contracts/capacity-store.ts).
 */
export function createMemoryCapacityStore(table: MemoryTable, now: Clock = table.now): CapacityStore {
  /** Every condition checked against the items as they are; all written, or none (and the outcomes). */
  function transact(operation: string, writes: readonly Write[]): Outcome[] | undefined {
    table.check(operation);
    const named = new Set(writes.map((write) => `${write.key.pk}\u0000${write.key.sk}`));
    if (named.size !== writes.length)
      throw new StateUnavailableError(operation, {
        cause: new Error('Transaction request cannot include multiple operations on one item'),
      });
    const outcomes = writes.map((write): Outcome =>
      write.condition(table.get(write.key)) ? 'None' : 'ConditionalCheckFailed',
    );
    if (outcomes.some((outcome) => outcome !== 'None')) return outcomes;
    for (const write of writes) if (write.apply) table.put(write.apply(table.get(write.key)));
    return undefined;
  }

  /** A counter taking `count` slots while that leaves it at or under `cap`, counting the change. */
  const takeSlots = (key: { pk: string; sk: string }, count: number, cap: number): Write => ({
    key,
    condition: (item) => item?.used === undefined || (number(item.used) ?? Infinity) <= cap - count,
    apply: (item) => ({
      ...key,
      ...item,
      used: (number(item?.used) ?? 0) + count,
      changes: (number(item?.changes) ?? 0) + 1,
    }),
  });

  /** A counter giving one slot back while it has one, counting the change. */
  const giveSlot = (key: { pk: string; sk: string }): Write => ({
    key,
    condition: (item) => (number(item?.used) ?? 0) > 0,
    apply: (item) => ({
      ...key,
      ...item,
      used: (number(item?.used) ?? 0) - 1,
      changes: (number(item?.changes) ?? 0) + 1,
    }),
  });

  /** A request moving to `provisioning` with its slot, only from `from` and while it holds none. */
  function moveToProvisioning(
    request: Pick<SlotRequest, 'requestId' | 'podName' | 'attempts'>,
    slot: Pick<SlotRequest, 'template' | 'from' | 'attemptSeconds'>,
    moment: Date,
  ): Write {
    const from = reserveFromStates(slot.from);
    const key = keys.request(request.requestId);
    return {
      key,
      condition: (item) => {
        // `status IN ()` is no condition DynamoDB accepts: a validation error, not an answer.
        if (from.length === 0)
          throw new StateUnavailableError('TransactWriteItems', { cause: new Error('empty IN list') });
        return (
          item !== undefined &&
          from.includes(item.status as RequestStatus) &&
          item.holdsSlot === false &&
          item.attempts === request.attempts
        );
      },
      // An earlier attempt's agent id goes (the port's reserve says why).
      apply: ({ externalId: _earlier, ...item }: Partial<MemoryItem> = {}) => ({
        ...key,
        ...item,
        status: 'provisioning',
        statusSince: moment.toISOString(),
        holdsSlot: true,
        template: slot.template,
        podName: request.podName,
        ...(slot.attemptSeconds === undefined
          ? {}
          : { attemptUntilMs: moment.getTime() + slot.attemptSeconds * 1000 }),
        attempts: (number(item?.attempts) ?? 0) + 1,
      }),
    };
  }

  async function reserve(slot: SlotRequest): Promise<Reservation> {
    if (slot.globalCap <= 0) return { reserved: false, reason: 'global-cap' };
    if (slot.templateCap <= 0) return { reserved: false, reason: 'template-cap' };
    const writes = [
      takeSlots(keys.globalCounter(), 1, slot.globalCap),
      takeSlots(keys.templateCounter(slot.template), 1, slot.templateCap),
      moveToProvisioning(slot, slot, now()),
    ];
    const failed = transact('TransactWriteItems', writes);
    if (!failed) return { reserved: true };
    if (failed[0] === 'ConditionalCheckFailed') return { reserved: false, reason: 'global-cap' };
    if (failed[1] === 'ConditionalCheckFailed') return { reserved: false, reason: 'template-cap' };
    return { reserved: false, reason: 'request-moved' };
  }

  async function reserveFresh(slot: FreshSlotRequest): Promise<boolean> {
    if (slot.globalCap <= 0 || slot.templateCap <= 0) return false;
    const move = moveToProvisioning({ ...slot, attempts: 0 }, { ...slot, from: ['queued'] }, now());
    const writes: Write[] = [
      takeSlots(keys.globalCounter(), 1, slot.globalCap),
      takeSlots(keys.templateCounter(slot.template), 1, slot.templateCap),
      {
        ...move,
        condition: (item) => move.condition(item) && item?.digest === slot.digest,
      },
      {
        key: keys.settings(),
        // Version 0: never written. Any item since, even one without a version, fails the check.
        condition: (item) =>
          slot.settingsVersion === 0 ? item === undefined : number(item?.version) === slot.settingsVersion,
      },
    ];
    return transact('TransactWriteItems', writes) === undefined;
  }

  async function reserveMany(slot: SlotBatch): Promise<boolean> {
    const count = slot.requests.length;
    if (count === 0) return true;
    if (!batchFits(slot)) return false;
    const moment = now();
    const writes = [
      takeSlots(keys.globalCounter(), count, slot.globalCap),
      takeSlots(keys.templateCounter(slot.template), count, slot.templateCap),
      ...slot.requests.map((request) => moveToProvisioning(request, slot, moment)),
    ];
    return transact('TransactWriteItems', writes) === undefined;
  }

  async function release(
    requestId: string,
    template: string,
    to: RequestStatus,
    reason?: string,
    options: ReleaseOptions = {},
  ): Promise<boolean> {
    const moment = now();
    const from = releaseFromStates(to).filter((status) => options.from?.includes(status) ?? true);
    const key = keys.request(requestId);
    const requestWrite: Write = {
      key,
      // Never bring an ended request back to life, whoever still thinks it holds a slot.
      condition: (item) =>
        item !== undefined &&
        item.holdsSlot === true &&
        from.includes(item.status as RequestStatus) &&
        (options.podName === undefined || item.podName === options.podName) &&
        (options.statusSince === undefined || item.statusSince === options.statusSince),
      apply: (item) => ({
        ...key,
        ...item,
        status: to,
        statusSince: moment.toISOString(),
        holdsSlot: false,
        ...(reason ? { reason } : {}),
        ...(terminalStatuses.includes(to) ? { expiresAt: endedExpiresAt(moment) } : {}),
        ...(options.countRetry ? { retriesUsed: (number(item?.retriesUsed) ?? 0) + 1 } : {}),
        ...(options.undoAttempt ? { attempts: (number(item?.attempts) ?? 0) - 1 } : {}),
      }),
    };
    const failed = transact('TransactWriteItems', [
      giveSlot(keys.globalCounter()),
      giveSlot(keys.templateCounter(template)),
      requestWrite,
    ]);
    if (failed === undefined) return true;
    if (failed[2] !== 'None') return false;
    // Only a counter already at 0 (drift) refused: free the request anyway; the reaper repairs the counter.
    return transact('UpdateItem (release)', [requestWrite]) === undefined;
  }

  async function readCounters(): Promise<CounterSnapshot> {
    table.check('Query (counters)');
    return countersFrom(table.query(keys.globalCounter().pk));
  }

  /** One write to a counter while it is at `observed` after `changes` moves; false if it moved. */
  function updateUnmovedCounter(
    counter: CounterName,
    observed: number,
    changes: number,
    what: string,
    change: (item: MemoryItem | undefined) => Record<string, unknown>,
  ): boolean {
    const key = counterKey(counter);
    const failed = transact(`UpdateItem (${what})`, [
      {
        key,
        condition: unmovedSince(observed, changes),
        apply: (item) => ({ ...key, ...item, ...change(item) }),
      },
    ]);
    return failed === undefined;
  }

  async function repairCounter(
    counter: CounterName,
    observed: number,
    expected: number,
    changes = 0,
  ): Promise<boolean> {
    return updateUnmovedCounter(counter, observed, changes, 'counter repair', (item) => ({
      used: expected,
      changes: (number(item?.changes) ?? 0) + 1,
    }));
  }

  async function noteCounterDrift(counter: CounterName, observed: number, changes = 0): Promise<boolean> {
    return updateUnmovedCounter(counter, observed, changes, 'counter drift', () => ({ driftSeen: changes }));
  }

  return { reserve, reserveMany, reserveFresh, release, readCounters, repairCounter, noteCounterDrift };
}
