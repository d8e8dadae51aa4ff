import type { RequestStatus } from './record';

/**
 * The request's state machine as one table: every move a writer may make, the states it may start
 * from, the states it may end in and what it does with the request's slot (who makes it: `moversOf`
 * below). Writers take their from-states from here (they become the `status IN (...)` condition of
 * their write), and test/unit/requests/transitions.test.ts checks this table against the one in
 * docs/state.md, so the docs, the conditions and the code that reasons about states cannot drift apart.
 *
 * A from-list is what the write's condition admits, not only the states a request is usually in when
 * the move is made: a condition that admits more is behaviour, and the table says so. What narrows a
 * move further is its slot: a request holds one exactly while it is `provisioning`, `provisioned`,
 * `ending`, or `started` on an agent Pitcrew made, so a move that `keeps` or `gives back` a slot only
 * ever applies there, and a move with `none` (its write requires `holdsSlot = false`, or its
 * from-states never hold a slot) never does.
 *
 * Not moves, so not here: a request is created `queued` (conditional put), or for a build never
 * queued here as a tombstone in `completed`, `cancelled` or `started`; and taking over an attempt
 * (`attemptUntilMs`) leaves the state as it is.
 */

/** The functions that write a request's state. */
export const movers = ['webhook', 'provision', 'reaper', 'ops'] as const;
export type Mover = (typeof movers)[number];

/**
 * What a move does with the request's slot (`holdsSlot` and the capacity counters): `takes` one in
 * the same transaction, `keeps` it, `gives back` in the same transaction, or `none` held before or after.
 */
export const slotEffects = ['takes', 'keeps', 'gives back', 'none'] as const;
export type SlotEffect = (typeof slotEffects)[number];

export interface RequestMoveRow {
  readonly move: string;
  readonly from: readonly RequestStatus[];
  readonly to: readonly RequestStatus[];
  readonly slot: SlotEffect;
}

// Every state but the terminal ones, spelled out so that the table reads as a table.
const anyActive = ['queued', 'waiting', 'provisioning', 'provisioned', 'started', 'ending'] as const;

/**
 * Every allowed move. The order of a from-list is the order its writer spelled it in before this
 * table existed (the order of an `IN (...)` list changes nothing, but it keeps the conditions as they were).
 */
export const requestMoves = [
  // A provision attempt takes a slot for the request: both counters and the request in one transaction.
  { move: 'reserve', from: ['queued', 'waiting'], to: ['provisioning'], slot: 'takes' },
  // No slot (a cap, or drained): the request waits; a waiting one waiting again just gets a new reason.
  { move: 'wait', from: ['queued', 'waiting'], to: ['waiting'], slot: 'none' },
  // A slot freed (an ended build, a raised cap, resume): the oldest waiting requests go back to the queue.
  { move: 'wake', from: ['waiting'], to: ['queued'], slot: 'none' },
  // The attempt made (or adopted) the pod and its Secret.
  { move: 'record-pod', from: ['provisioning'], to: ['provisioned'], slot: 'keeps' },
  // The CI says our agent took the build; the slot stays until the build ends. From `provisioning` too:
  // the CI can say so before the attempt recorded its pod.
  {
    move: 'start',
    from: ['provisioned', 'provisioning'],
    to: ['started'],
    slot: 'keeps',
  },
  // The CI says the build started and the request holds no slot: an agent Pitcrew did not make runs it.
  { move: 'start-elsewhere', from: anyActive, to: ['started'], slot: 'none' },
  // The CI ended a build whose agent holds a slot: the slot stays until the agent is gone (`finish` is
  // then `release` into `endAs`), so a cap counts every live agent. Again from `ending`: a second end
  // event (a cancel after a completion) only says what to end it as. An operator's cancel makes it
  // too while an attempt is making the agent: that attempt removes it (bug 45). And the reaper, for a
  // pod it deleted while its CI kept the agent: the build ends as it decided once the agent is gone.
  { move: 'mark-ending', from: anyActive, to: ['ending'], slot: 'keeps' },
  // The CI ended a build that holds no slot: nothing to remove, it ends at once.
  { move: 'end', from: anyActive, to: ['completed', 'cancelled'], slot: 'none' },
  // A request that cannot be provisioned (its template is no longer configured, or its `from` leaves
  // the build out) and holds no slot.
  { move: 'fail-without-slot', from: ['queued', 'waiting'], to: ['failed'], slot: 'none' },
  // Queued or waiting longer than reaper.maxWaitHours: nobody waits for the build any more.
  { move: 'expire', from: ['queued', 'waiting'], to: ['failed'], slot: 'none' },
  // The reaper ends the build of an agent it deleted or found gone (finished, failed, lost, too old)
  // while the request holds no slot; one holding a slot goes through `release`.
  {
    move: 'settle',
    from: ['provisioning', 'provisioned', 'started', 'ending', 'queued', 'waiting'],
    to: ['completed', 'cancelled', 'failed'],
    slot: 'none',
  },
  // The reaper gives a build whose agent was stuck or lost another go, while the request holds no slot
  // (one holding a slot goes through `requeue`). Never from `ending`: the CI ended that build.
  {
    move: 'retry',
    from: ['provisioning', 'provisioned', 'started', 'queued', 'waiting'],
    to: ['queued'],
    slot: 'none',
  },
  // An operator ends a request for good (ops `cancel`); one holding a slot goes through `release`.
  { move: 'cancel-by-operator', from: anyActive, to: ['cancelled'], slot: 'none' },
  // An operator queues a failed request again (ops `retry`, `redrive`).
  { move: 'retry-by-operator', from: ['failed'], to: ['queued'], slot: 'none' },
  // The CI ended a build whose request had failed: it stays failed (its reason is what operators look
  // for), and `ciEnded` says the CI is done with it, so `retry` and `redrive` make it no agent.
  { move: 'note-ci-end', from: ['failed'], to: ['failed'], slot: 'none' },
  // A slot given back as the request ends: its agent is gone (`finish`), an attempt gave up, the reaper
  // settled it, an operator cancelled it. The one write that frees a slot and ends a request.
  {
    move: 'release',
    from: anyActive,
    to: ['completed', 'cancelled', 'failed'],
    slot: 'gives back',
  },
  // A slot given back for the build to go again: an attempt failed for now before its pod existed, the
  // reaper retries a stuck or lost agent, or trims a lowered cap (to `waiting`). Never from `ending`:
  // the CI ended that build, and queued again it would get an agent nobody needs.
  {
    move: 'requeue',
    from: ['queued', 'waiting', 'provisioning', 'provisioned', 'started'],
    to: ['queued', 'waiting'],
    slot: 'gives back',
  },
] as const satisfies readonly RequestMoveRow[];

export type RequestMove = (typeof requestMoves)[number]['move'];

/**
 * Who makes each move: the table's "by" column, apart from it because no code path reads it (the
 * state table is in every function's bundle, this is in none); the test of docs/state.md does.
 */
export const moversOf: { readonly [Move in RequestMove]: readonly Mover[] } = {
  reserve: ['provision'],
  wait: ['provision'],
  wake: ['provision', 'reaper', 'ops'],
  'record-pod': ['provision'],
  start: ['webhook'],
  'start-elsewhere': ['webhook'],
  'mark-ending': ['webhook', 'ops', 'reaper'],
  end: ['webhook'],
  'fail-without-slot': ['provision'],
  expire: ['reaper'],
  settle: ['reaper'],
  retry: ['reaper'],
  'cancel-by-operator': ['ops'],
  'retry-by-operator': ['ops'],
  'note-ci-end': ['webhook'],
  release: ['provision', 'reaper', 'ops'],
  requeue: ['provision', 'reaper'],
};

// The table with its lists widened to RequestStatus, for lookups by any state.
const rows: readonly RequestMoveRow[] = requestMoves;

const rowOf = (move: RequestMove): RequestMoveRow => {
  const row = rows.find((candidate) => candidate.move === move);
  if (!row) throw new TypeError(`no request move '${move}'`);
  return row;
};

/** The states `move` may start from: the `status IN (...)` of its write. */
export const fromStatesOf = (move: RequestMove): readonly RequestStatus[] => rowOf(move).from;

/** The states `move` may end in. */
export const toStatesOf = (move: RequestMove): readonly RequestStatus[] => rowOf(move).to;

/** True when `move` may take a request from `from` to `to`. */
export const allows = (move: RequestMove, from: RequestStatus, to: RequestStatus): boolean =>
  rowOf(move).from.includes(from) && rowOf(move).to.includes(to);

/** True when some move takes a request from `from` to `to`. */
export const isAllowedMove = (from: RequestStatus, to: RequestStatus): boolean =>
  rows.some((row) => row.from.includes(from) && row.to.includes(to));

/**
 * The from-list of a write conditional on the state just read (`status IN (<that state>)`, so a
 * request moved meanwhile is left alone): that state, if `move` may start there, else none, and a write
 * from no state never applies.
 */
export const fromTheStateRead = (move: RequestMove, status: RequestStatus): readonly RequestStatus[] =>
  fromStatesOf(move).includes(status) ? [status] : [];

/**
 * The states a release starts from but `ending`: whoever gives a slot back to end the build its own
 * way (a failure's, the reaper's) leaves a request the CI ended since the read to end as the CI said.
 */
export const releaseFromButEnding: readonly RequestStatus[] = fromStatesOf('release').filter(
  (status) => status !== 'ending',
);

/**
 * Throws unless every state of `from` has a move into `to`: a write the table does not allow is a bug,
 * and failing loudly beats a request in a state no reader expects.
 */
export function assertAllowed(from: readonly RequestStatus[], to: RequestStatus): void {
  const stray = from.filter((status) => !isAllowedMove(status, to));
  if (stray.length > 0)
    throw new TypeError(`no request move from ${stray.join(', ')} to ${to} (shared/requests/transitions.ts)`);
}

/**
 * The move that gives a slot back into `to` (`release` or `requeue`): the capacity store's release
 * builds its condition from its from-states.
 */
export function slotReturnInto(to: RequestStatus): RequestMove {
  const row = rows.find((candidate) => candidate.slot === 'gives back' && candidate.to.includes(to));
  if (!row) throw new TypeError(`no move gives a slot back into ${to} (shared/requests/transitions.ts)`);
  return row.move as RequestMove;
}
