import type { RequestRecord, RequestStatus } from '../requests/record';
import type { OnUnreadable } from '../state/listed-requests';

/** What `createIfAbsent` did: wrote the record, or found one (or a tombstone) already there. */
export type CreateResult =
  { readonly created: true } | { readonly created: false; readonly existing: RequestRecord };

/** What `end` did with the request a CI says ended (or started elsewhere). */
export type EndResult =
  | { readonly kind: 'ended'; readonly record: RequestRecord }
  | { readonly kind: 'tombstoned' }
  /**
   * Ended before. `noted`: a `failed` one that this call marked as ended by the CI too (`ciEnded`),
   * the first end event for it.
   */
  | { readonly kind: 'already-ended'; readonly record: RequestRecord; readonly noted?: true }
  /** It holds a slot: end it by giving the slot back (capacity-store `release`), not here. */
  | { readonly kind: 'holds-slot'; readonly record: RequestRecord }
  /** No such request, and none written: the caller asked for no tombstone. */
  | { readonly kind: 'unknown' };

export interface EndOptions {
  /**
   * False: an unknown build gets no tombstone (`unknown`), as for one no template serves, which a
   * late `queued` would not provision anyway. True by default.
   */
  readonly tombstone?: boolean;
}

/** Fields a move may set besides the state (`status` and `statusSince` are the move's own). */
export type RequestFields = Partial<Omit<RequestRecord, 'requestId' | 'status' | 'statusSince'>>;

export interface TransitionOptions {
  /**
   * Apply only while the request's `holdsSlot` is this: `false` for a move that may not apply to a
   * slot holder (`none`), `true` for one that keeps a slot (`mark-ending`: `started` is held either way).
   */
  readonly holdsSlot?: boolean;
  /**
   * Apply only while no attempt holds the request at this moment (ms since the epoch):
   * `attemptUntilMs` absent or not after it. An operator's cancel that read none in time thereby
   * misses an attempt that claimed the request since (bug 63).
   */
  readonly noAttemptAt?: number;
  /** Apply only while the CI has not ended the build (`ciEnded` absent): an operator's retry (bug 65). */
  readonly ciNotEnded?: boolean;
}

/** One move of `transitionAll`: `transition`'s arguments. */
export interface TransitionMove {
  readonly requestId: string;
  readonly from: readonly RequestStatus[];
  readonly to: RequestStatus;
  readonly set?: RequestFields;
  readonly remove?: readonly (keyof RequestRecord)[];
  readonly options?: TransitionOptions;
}

/** What became of one move of `transitionAll`: applied or not, or the error `transition` would throw. */
export type MoveResult =
  { readonly kind: 'moved' | 'not-moved' } | { readonly kind: 'failed'; readonly error: unknown };

/**
 * The request records (docs/state.md). Every write that decides something is conditional, and a
 * failed condition is an answer (false, undefined, an existing record), never an error. Whatever
 * else goes wrong with the store (throttling, network, a missing table) throws
 * `StateUnavailableError` (shared/state/errors.ts), unless a method says it is best effort.
 * Reads are strongly consistent, except `listByStatus` (an index, eventually consistent).
 * Adapters: DynamoDB (shared/state/request-store.ts), in memory (shared/state/memory/); both are
 * held to test/contracts/request-store.ts.
 */
export interface RequestStore {
  /** The request, or undefined when there is none (a tombstone is a request). */
  get(requestId: string): Promise<RequestRecord | undefined>;

  /**
   * Several requests at once, by id (duplicates read once); ids with no request are left out.
   * Throws `TypeError` for more than 100 distinct ids.
   */
  getMany(requestIds: readonly string[]): Promise<Map<string, RequestRecord>>;

  /**
   * Writes `record` only if no request with its id exists; otherwise writes nothing and answers
   * the one there (which may be a tombstone). Of concurrent callers exactly one gets `created: true`.
   */
  createIfAbsent(record: RequestRecord): Promise<CreateResult>;

  /**
   * Moves a request from one of `from` to `to`, setting `statusSince` to now and the defined fields
   * of `set`, removing `remove`, and into a terminal state setting `expiresAt` (the TTL, now plus
   * `endedRequestTtlSeconds`). Applies only while the request exists, is in one of `from` and, with
   * `holdsSlot` given, holds a slot or none as it says; answers the record as written, or undefined when the condition
   * failed (someone else moved it first) and nothing was written. `from` comes from the state table
   * (shared/requests/transitions.ts): throws `TypeError` unless every state of `from` has a move into
   * `to`; an empty `from` never applies and writes nothing.
   */
  transition(
    requestId: string,
    from: readonly RequestStatus[],
    to: RequestStatus,
    set?: RequestFields,
    remove?: readonly (keyof RequestRecord)[],
    options?: TransitionOptions,
  ): Promise<RequestRecord | undefined>;

  /**
   * Several moves of distinct requests, each as `transition` makes it, on its own condition: one
   * move's failed condition or error never decides another's. Answers, in order, what became of
   * each. The point is the number of writes: DynamoDB makes moves that all apply in one
   * TransactWriteItems (a provision batch records its pods in one call instead of one per pod).
   */
  transitionAll(moves: readonly TransitionMove[]): Promise<MoveResult[]>;

  /**
   * Records that the CI ended (or started) a build. No request: writes `tombstone` in state `to`
   * with `tombstone: true` and the TTL (`tombstoned`), so a late queued event creates nothing. An
   * ended one is left as it is (`already-ended`), one holding a slot too (`holds-slot`: the caller
   * gives the slot back). Otherwise moves it to `to` by the state table's `end` (or `start-elsewhere`)
   * while it holds no slot (`ended`). Throws `StateUnavailableError` if it keeps changing under it.
   */
  end(
    tombstone: RequestRecord,
    to: 'completed' | 'cancelled' | 'started',
    options?: EndOptions,
  ): Promise<EndResult>;

  /**
   * Requests in one state, oldest `statusSince` first: all of them, or the first `limit`. An item the
   * schema does not read throws, or with `onUnreadable` is handed to it and left out
   * (shared/state/listed-requests.ts).
   */
  listByStatus(status: RequestStatus, limit?: number, onUnreadable?: OnUnreadable): Promise<RequestRecord[]>;

  /**
   * Takes over a request whose agent an earlier attempt was making: applies only while it is
   * `provisioning`, holds its slot and no attempt holds it (`attemptUntilMs` absent or before now);
   * then sets `attemptUntilMs` to now plus `seconds` and answers true. False otherwise (no request
   * included), writing nothing.
   */
  claimAttempt(requestId: string, seconds: number): Promise<boolean>;

  /** Removes `attemptUntilMs`, so the next attempt may take over at once. Best effort: never throws. */
  endAttempt(requestId: string): Promise<void>;
}
