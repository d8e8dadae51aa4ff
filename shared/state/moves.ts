import type { Clock } from '../ports/clock';
import {
  endedRequestTtlSeconds,
  terminalStatuses,
  type RequestRecord,
  type RequestStatus,
} from '../requests/record';
import { fromStatesOf, fromTheStateRead, slotReturnInto } from '../requests/transitions';
import type { CounterName, CounterSnapshot, SlotBatch } from '../ports/capacity-store';
import type {
  EndOptions,
  EndResult,
  MoveResult,
  RequestFields,
  RequestStore,
  TransitionMove,
} from '../ports/request-store';
import { StateUnavailableError } from './errors';
import { counterNameOf } from './keys';

/**
 * The parts of the request and capacity writes that do not depend on the store, shared by the
 * DynamoDB adapters and their in-memory twins (./memory/) so both decide the same way.
 */

/** The TTL (epoch seconds) of a request that ends now. */
export const endedExpiresAt = (now: Date): number =>
  Math.floor(now.getTime() / 1000) + endedRequestTtlSeconds;

/**
 * What a `transition` into `to` at `at` sets: the defined fields of `set` (an undefined one is left as
 * it is), the state, `statusSince`, and into a terminal state the TTL.
 */
export function transitionFields(set: RequestFields, to: RequestStatus, now: Date): Record<string, unknown> {
  const fields: Record<string, unknown> = Object.fromEntries(
    Object.entries({ ...set, status: to, statusSince: now.toISOString() }).filter(
      ([, value]) => value !== undefined,
    ),
  );
  if (terminalStatuses.includes(to)) fields.expiresAt = endedExpiresAt(now);
  return fields;
}

/** The states a slot may be reserved from: `from` if given, which may narrow the state table's `reserve`, never widen it. */
export function reserveFromStates(from: readonly RequestStatus[] | undefined): readonly RequestStatus[] {
  const allowed = fromStatesOf('reserve');
  const states = from ?? allowed;
  const stray = states.filter((status) => !allowed.includes(status));
  if (stray.length > 0) throw new TypeError(`a slot is never reserved from ${stray.join(', ')}`);
  return states;
}

/** The states a slot may be given back from into `to` (the state table's `release` or `requeue`). */
export const releaseFromStates = (to: RequestStatus): readonly RequestStatus[] =>
  fromStatesOf(slotReturnInto(to));

/** `RequestStore.end` out of the store's own reads and conditional writes. */
export async function endRequest(
  store: Pick<RequestStore, 'get' | 'createIfAbsent' | 'transition'>,
  tombstone: RequestRecord,
  to: 'completed' | 'cancelled' | 'started',
  now: Clock,
  options: EndOptions = {},
): Promise<EndResult> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await store.get(tombstone.requestId);
    if (!current) {
      if (options.tombstone === false) return { kind: 'unknown' };
      const created = await store.createIfAbsent({
        ...tombstone,
        status: to,
        tombstone: true,
        expiresAt: endedExpiresAt(now()),
      });
      if (created.created) return { kind: 'tombstoned' };
      continue;
    }
    if (current.status === 'failed' && to !== 'started' && !current.ciEnded) {
      // It stays failed, and says the CI is done with it: `retry` and `redrive` make it no agent.
      const noted = await store.transition(current.requestId, fromStatesOf('note-ci-end'), 'failed', {
        ciEnded: to,
      });
      if (!noted) continue;
      return { kind: 'already-ended', record: noted, noted: true };
    }
    if (terminalStatuses.includes(current.status)) return { kind: 'already-ended', record: current };
    if (current.holdsSlot) return { kind: 'holds-slot', record: current };
    const move = to === 'started' ? 'start-elsewhere' : 'end';
    const ended = await store.transition(
      current.requestId,
      fromTheStateRead(move, current.status),
      to,
      {},
      [],
      {
        holdsSlot: false,
      },
    );
    if (ended) return { kind: 'ended', record: ended };
  }
  throw new StateUnavailableError('end request (kept changing under us)', { cause: undefined });
}

/** DynamoDB's limit on the items of one TransactWriteItems. */
const maxTransactionItems = 100;

/**
 * Whether a batch reservation may be tried in one transaction (both counters and each request):
 * false when it cannot fit the caps or the transaction, so the caller reserves one at a time. Throws
 * on a request named twice.
 */
export function batchFits(slot: SlotBatch): boolean {
  const count = slot.requests.length;
  if (new Set(slot.requests.map((request) => request.requestId)).size !== count)
    throw new TypeError('reserveMany: each request may appear once');
  return count + 2 <= maxTransactionItems && slot.globalCap >= count && slot.templateCap >= count;
}

/**
 * One move of `transitionAll` made alone, by `transition`, its answer as a MoveResult: both adapters
 * make a move this way (the memory one always, DynamoDB when it cannot make them together).
 */
export async function settleMove(
  transition: RequestStore['transition'],
  move: TransitionMove,
): Promise<MoveResult> {
  try {
    const { requestId, from, to, set, remove, options } = move;
    return { kind: (await transition(requestId, from, to, set, remove, options)) ? 'moved' : 'not-moved' };
  } catch (error) {
    return { kind: 'failed', error };
  }
}

type MutableMarks = { global?: number; templates: Record<string, number> };

/** The counters' items (partition `capacity`) as the snapshot `readCounters` answers. */
export function countersFrom(items: readonly Record<string, unknown>[]): CounterSnapshot {
  const used: MutableMarks = { templates: {} };
  const changes: MutableMarks = { templates: {} };
  const driftSeen: MutableMarks = { templates: {} };
  // A counter's numbers go on each table itself for the global one, in its `templates` for a
  // template's: a template may be named `global` (CounterName).
  const set = (marks: MutableMarks, name: CounterName, value: unknown): void => {
    if (name === 'global') marks.global = Number(value);
    else marks.templates[name.template] = Number(value);
  };
  for (const item of items) {
    const name = counterNameOf(item.sk);
    if (name === undefined) continue;
    set(used, name, item.used ?? 0);
    set(changes, name, item.changes ?? 0);
    if (item.driftSeen !== undefined) set(driftSeen, name, item.driftSeen);
  }
  return { global: used.global ?? 0, templates: used.templates, changes, driftSeen };
}
