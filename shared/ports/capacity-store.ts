import type { RequestStatus } from '../requests/record';

/** One request's slot: what `reserve` takes. */
export interface SlotRequest {
  readonly requestId: string;
  readonly template: string;
  readonly podName: string;
  /**
   * The request's `attempts` as the caller read them: `podName` is the next attempt's
   * (podNameFor), so the reserve holds only while they are still that. A stale read would give the
   * agent an earlier attempt's name, and a Jenkins node its secret.
   */
  readonly attempts: number;
  readonly globalCap: number;
  readonly templateCap: number;
  /**
   * The states a request may be reserved from: by default all the state table allows (`reserve`:
   * queued, waiting); a caller may narrow them, never widen them.
   */
  readonly from?: readonly RequestStatus[];
  /** The attempt that reserves holds the request this long (`attemptUntilMs` on the record). */
  readonly attemptSeconds?: number;
}

/** A new request's slot, taken on its message's snapshot without a read: what `reserveFresh` takes. */
export interface FreshSlotRequest extends Omit<SlotRequest, 'from' | 'attempts'> {
  /** The snapshot's digest of the request's unchanging fields (shared/requests/digest.ts). */
  readonly digest: string;
  /** The version of the operator settings the caps come from (0: never written, no item). */
  readonly settingsVersion: number;
}

/** Slots for several requests of one template: what `reserveMany` takes. */
export type SlotBatch = Omit<SlotRequest, RequestOfSlot> & {
  readonly requests: readonly Pick<SlotRequest, RequestOfSlot>[];
};

/** What a slot request says of its request, beside the slot. */
type RequestOfSlot = 'requestId' | 'podName' | 'attempts';

export type Reservation =
  | { readonly reserved: true }
  | { readonly reserved: false; readonly reason: 'global-cap' | 'template-cap' | 'request-moved' };

/**
 * One slot counter: the global one, or a template's. Tagged, not a name, since a template may be
 * named `global`, and its counter is not the global one.
 */
export type CounterName = 'global' | { readonly template: string };

/** A number kept on each counter (the global one's, and each template's), where it has one. */
export interface CounterMarks {
  readonly global?: number;
  readonly templates: Readonly<Record<string, number>>;
}

export interface CounterSnapshot {
  readonly global: number;
  readonly templates: Readonly<Record<string, number>>;
  /** How often each counter has moved: what a repair requires unchanged. */
  readonly changes?: CounterMarks;
  /** The `changes` at which a run noted each counter's drift (noteCounterDrift), where one did. */
  readonly driftSeen?: CounterMarks;
}

export interface ReleaseOptions {
  /** Count the release as one of the build's retries (`retriesUsed` plus one). */
  readonly countRetry?: boolean;
  /**
   * Take back the attempt's count (`attempts` minus one): a passing failure before the attempt's
   * agent ran anything, so the next reserve names its pod as this one did (podNameFor) and adopts a
   * pod the API server made after the client gave up.
   */
  readonly undoAttempt?: boolean;
  /** Only while the request names this pod: an attempt gives back only the slot it reserved. */
  readonly podName?: string;
  /**
   * Only from these of the move's from-states: a caller acting on the state it read (the reaper
   * queueing again a build its CI still waits to run) must leave one that moved on meanwhile.
   */
  readonly from?: readonly RequestStatus[];
  /**
   * Only while the request's `statusSince` is this: a caller ending an `ending` request as the mark
   * it read said (each mark rewrites it) must leave one marked again since (an operator's cancel).
   */
  readonly statusSince?: string;
}

/**
 * Capacity as counters: `global` and one per template hold how many agents are live or being made
 * (`used`), and how often each moved (`changes`). A slot is taken together with the request's move
 * to `provisioning` (`holdsSlot = true`) and given back together with its move out, all or nothing,
 * so no cap is ever overshot under any concurrency and no slot is taken or given back twice. A failed
 * condition is an answer; anything else that goes wrong with the store throws
 * `StateUnavailableError` (shared/state/errors.ts). Adapters: DynamoDB
 * (shared/state/capacity-store.ts), in memory (shared/state/memory/); both are held to
 * test/contracts/capacity-store.ts.
 */
export interface CapacityStore {
  /**
   * Takes one slot of each counter and moves the request to `provisioning` (`holdsSlot`,
   * `template`, `podName`, `statusSince` now, `attempts` plus one, `attemptUntilMs` with
   * `attemptSeconds`, no `externalId`: an earlier attempt's agent id would name another agent than
   * the one this attempt registers, bug 42), all or nothing: only while each counter stays at or
   * under its cap and the request is in one of `from` holding no slot, at `attempts` (every record
   * is written with them: newRecord). Refused, it writes nothing and says why, in this
   * order: `global-cap`, `template-cap`, `request-moved` (which includes no request at all). A cap of
   * 0 or less refuses at once. Throws `TypeError` for a `from` the state table's `reserve` does not
   * start from.
   */
  reserve(slot: SlotRequest): Promise<Reservation>;

  /**
   * `reserve` for several requests of one template at once: each counter moves once, by their
   * number. All or nothing: false (nothing written) when the caps lack room for all of them or any
   * request cannot be reserved, or there are more than 98; true for none. Throws `TypeError` for a
   * request named twice, or a `from` as `reserve` does.
   */
  reserveMany(batch: SlotBatch): Promise<boolean>;

  /**
   * `reserve` for a request as its creation left it, taken on a snapshot rather than a read: applies
   * only while the request is `queued`, never reserved (`attempts` 0), holding no slot, with the
   * digest `digest` (the store writes it on the record it creates), and the operator settings are at
   * `settingsVersion`, and both counters have room. False, nothing written, when any of those fails,
   * without saying which: the caller reads the request and the settings and reserves as usual.
   */
  reserveFresh(slot: FreshSlotRequest): Promise<boolean>;

  /**
   * Gives the request's slot back (each counter minus one) and moves it to `to`, setting `statusSince`
   * to now, `holdsSlot = false`, `reason` if given, the TTL (`expiresAt`) into a terminal state,
   * `retriesUsed` plus one with `countRetry`, and `attempts` minus one with `undoAttempt`. Applies only while the request holds the slot and is in a
   * state the state table's move into `to` (`release` or `requeue`) starts from: else false, nothing
   * written. When a counter is already at 0 (drift), neither counter moves and the request moves all
   * the same (the reaper repairs the counters).
   * Throws `TypeError` for a `to` no move gives a slot back into.
   */
  release(
    requestId: string,
    template: string,
    to: RequestStatus,
    reason?: string,
    options?: ReleaseOptions,
  ): Promise<boolean>;

  /**
   * Every counter: `global` (0 if it never moved) and each template that ever took a slot, with
   * `changes` for each counter that exists.
   */
  readCounters(): Promise<CounterSnapshot>;

  /**
   * Sets a counter (`global` or a template's) to `expected`, counting a change, only if it is still
   * at `observed` after `changes` moves (an absent counter is 0 after 0), so a reservation or release
   * made since the caller read it is never undone. False, nothing written, if it moved.
   */
  repairCounter(counter: CounterName, observed: number, expected: number, changes?: number): Promise<boolean>;

  /**
   * Notes that a counter looked drifted at `changes` (its `driftSeen`), only if it is still at
   * `observed` after `changes` moves. The reaper repairs a counter only once a later run finds it
   * drifted at the same `changes`: the requests' index is eventually consistent, and a slot taken
   * just before one run read the counter may not be in the index it reads next (bug 36); by the
   * next run the index has caught up, and the counter has not moved since. False if it moved.
   */
  noteCounterDrift(counter: CounterName, observed: number, changes?: number): Promise<boolean>;
}
