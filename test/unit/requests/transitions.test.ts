import { readFileSync } from 'node:fs';
import { requestStatuses, terminalStatuses, type RequestStatus } from '../../../shared/requests';
import {
  assertAllowed,
  fromStatesOf,
  fromTheStateRead,
  isAllowedMove,
  movers,
  moversOf,
  requestMoves,
  slotEffects,
  slotReturnInto,
  toStatesOf,
  type Mover,
  type RequestMoveRow,
  type SlotEffect,
} from '../../../shared/requests/transitions';

/** A row of the docs' table: a move of the code's, and who makes it (`moversOf`). */
type DocumentedMove = RequestMoveRow & { readonly by: readonly Mover[] };

/** The code's moves as the docs' table draws them. */
const codeMoves: DocumentedMove[] = requestMoves.map((row) => ({ ...row, by: moversOf[row.move] }));

/**
 * docs/state.md draws the request's state machine as a table (section "Request states"), and the
 * code has it as `requestMoves`: the two must hold the same moves, so neither can drift. The parser
 * is strict: a row it cannot read fails the test rather than drop out of the comparison.
 */
function parseMovesTable(markdown: string): DocumentedMove[] {
  const section = markdown.split(/^## Request states$/m)[1]?.split(/^## /m)[0];
  if (section === undefined) throw new Error('docs/state.md has no "## Request states" section');
  const lines = section.split('\n');
  const start = lines.findIndex((line) => line.startsWith('|'));
  if (start < 0) throw new Error('the "Request states" section has no table');
  const end = lines.findIndex((line, index) => index > start && !line.startsWith('|'));
  const [header, separator, ...body] = lines.slice(start, end < 0 ? undefined : end).map(cellsOf);
  if (header?.join(' | ') !== 'move | by | from | to | slot')
    throw new Error(`unexpected header: ${header?.join(' | ')}`);
  if (!separator?.every((cell) => /^-+$/.test(cell))) throw new Error('no separator row under the header');
  if (body.length === 0) throw new Error('the table has no rows');
  const rows = body.map(rowOf);
  const names = rows.map((row) => row.move);
  if (new Set(names).size !== names.length) throw new Error(`a move appears twice: ${names.join(', ')}`);
  return rows;
}

function cellsOf(line: string): string[] {
  if (!line.startsWith('|') || !line.endsWith('|')) throw new Error(`not a table row: ${line}`);
  return line
    .slice(1, -1)
    .split('|')
    .map((cell) => cell.trim());
}

function rowOf(cells: readonly string[]): DocumentedMove {
  if (cells.length !== 5) throw new Error(`a row needs 5 cells: | ${cells.join(' | ')} |`);
  const [move = '', by = '', from = '', to = '', slot = ''] = cells;
  const name = /^`([a-z]+(?:-[a-z]+)*)`$/.exec(move)?.[1];
  if (!name) throw new Error(`not a move name in backticks: ${move}`);
  if (!slotEffects.includes(slot as SlotEffect)) throw new Error(`unknown slot effect: ${slot}`);
  return {
    move: name,
    by: listOf(by, (item) => (movers.includes(item as Mover) ? (item as Mover) : undefined)),
    from: listOf(from, statusIn),
    to: listOf(to, statusIn),
    slot: slot as SlotEffect,
  };
}

/** A state in backticks, or undefined. */
const statusIn = (item: string): RequestStatus | undefined => {
  const name = /^`([a-z]+)`$/.exec(item)?.[1];
  return requestStatuses.find((status) => status === name);
};

/** A cell's comma-separated items, each read by `read`; one it cannot read, or a repeat, throws. */
function listOf<T>(cell: string, read: (item: string) => T | undefined): T[] {
  const items = cell.split(', ').map((item) => {
    const value = read(item);
    if (value === undefined) throw new Error(`cannot read '${item}' in '${cell}'`);
    return value;
  });
  if (new Set(items).size !== items.length) throw new Error(`a repeat in '${cell}'`);
  return items;
}

/** Every single step a table allows, as `from -> to (move)`, sorted. */
const stepsOf = (rows: readonly RequestMoveRow[]): string[] =>
  rows
    .flatMap((row) => row.from.flatMap((from) => row.to.map((to) => `${from} -> ${to} (${row.move})`)))
    .sort();

/** A row with its lists sorted: the same move whatever order a list is spelled in. */
const normal = (row: DocumentedMove) => ({
  move: row.move,
  by: [...row.by].sort(),
  from: [...row.from].sort(),
  to: [...row.to].sort(),
  slot: row.slot,
});

const anyActive = requestStatuses.filter((status) => !terminalStatuses.includes(status));
/** The states a request holds a slot in: where the moves that take or keep one lead. */
const slotStates = new Set<RequestStatus>(
  requestMoves.filter((row) => row.slot === 'takes' || row.slot === 'keeps').flatMap((row) => row.to),
);

describe('the request state table in docs/state.md', () => {
  const documented = parseMovesTable(readFileSync('docs/state.md', 'utf8'));

  it('holds the same moves as shared/requests/transitions.ts, step by step', () => {
    expect(stepsOf(documented)).toEqual(stepsOf(requestMoves));
  });

  it('says the same of each move: who makes it, from where, to where, and what it does with the slot', () => {
    const byName = (rows: readonly DocumentedMove[]) =>
      Object.fromEntries(rows.map((row) => [row.move, normal(row)]));
    expect(byName(documented)).toEqual(byName(codeMoves));
  });
});

describe('the docs table parser', () => {
  const table = (...rows: string[]): string =>
    [
      '# State',
      '## Request states',
      'Some prose.',
      '| move | by | from | to | slot |',
      '| --- | --- | --- | --- | --- |',
      ...rows,
      '',
      '## Next',
      '| move | by | from | to | slot |',
    ].join('\n');

  it('reads rows into moves, and stops at the end of the table', () => {
    expect(parseMovesTable(table('| `wake` | provision, ops | `waiting` | `queued` | none |'))).toEqual([
      { move: 'wake', by: ['provision', 'ops'], from: ['waiting'], to: ['queued'], slot: 'none' },
    ]);
  });

  it.each([
    ['an unknown state', '| `wake` | ops | `sleeping` | `queued` | none |', /cannot read '`sleeping`'/],
    ['a state without backticks', '| `wake` | ops | waiting | `queued` | none |', /cannot read 'waiting'/],
    [
      'a list not separated by ", "',
      '| `wake` | ops | `queued`,`waiting` | `queued` | none |',
      /cannot read/,
    ],
    ['an unknown mover', '| `wake` | cron | `waiting` | `queued` | none |', /cannot read 'cron'/],
    ['an unknown slot effect', '| `wake` | ops | `waiting` | `queued` | maybe |', /unknown slot effect/],
    ['a missing cell', '| `wake` | ops | `waiting` | `queued` |', /needs 5 cells/],
    ['a move name without backticks', '| wake | ops | `waiting` | `queued` | none |', /not a move name/],
    ['an empty list', '| `wake` | ops |  | `queued` | none |', /cannot read ''/],
    ['a repeated state', '| `wake` | ops | `waiting`, `waiting` | `queued` | none |', /a repeat/],
  ])('refuses %s', (_what, row, error) => {
    expect(() => parseMovesTable(table(row))).toThrow(error);
  });

  it('refuses a move listed twice, a table without rows, and a missing section or header', () => {
    const wake = '| `wake` | ops | `waiting` | `queued` | none |';
    expect(() => parseMovesTable(table(wake, wake))).toThrow(/appears twice/);
    expect(() => parseMovesTable(table())).toThrow(/no rows/);
    expect(() => parseMovesTable('# State\n## Items\n')).toThrow(/no "## Request states" section/);
    expect(() => parseMovesTable(table(wake).replace('| slot |', '| slot effect |'))).toThrow(/header/);
  });
});

describe('the from-lists writers use', () => {
  // Each as its writer spelled it before the table existed: the conditions did not change (but for
  // `retry` and `requeue`, which no longer start from `ending`; see slot-moves.test.ts).
  it.each([
    ['reserve', ['queued', 'waiting']], // provision-request.ts, prepare-batch.ts
    ['wait', ['queued', 'waiting']], // provision-request.ts markWaiting
    ['wake', ['waiting']], // capacity/wake.ts
    ['record-pod', ['provisioning']], // provision-request.ts, recorded and adopted
    ['start', ['provisioned', 'provisioning']], // receive-webhook.ts
    ['fail-without-slot', ['queued', 'waiting']], // provision-request.ts failWithoutSlot
    ['cancel-by-operator', anyActive], // ops/requests.ts cancel (every non-terminal state)
    ['retry-by-operator', ['failed']], // ops/requests.ts requeueFailed
    ['settle', ['provisioning', 'provisioned', 'started', 'ending', 'queued', 'waiting']], // reap/act.ts
    ['retry', ['provisioning', 'provisioned', 'started', 'queued', 'waiting']], // reap/act.ts
    ['expire', ['queued', 'waiting']], // reap/act.ts: the state read, which decideRecord gives only these
    ['end', anyActive], // request-store end(): the state read, any non-terminal
    ['start-elsewhere', anyActive], // request-store end() with `started`
    ['mark-ending', anyActive], // receive-webhook.ts: the state read, any non-terminal
    ['release', anyActive], // capacity-store release: was `NOT (status IN (completed, cancelled, failed))`
    ['requeue', ['queued', 'waiting', 'provisioning', 'provisioned', 'started']], // release to queued or waiting
  ] as const)('%s starts from %j', (move, from) => {
    expect(fromStatesOf(move)).toEqual(from);
  });

  it('gives the states each move ends in', () => {
    expect(toStatesOf('reserve')).toEqual(['provisioning']);
    expect(toStatesOf('end')).toEqual(['completed', 'cancelled']);
    expect(toStatesOf('requeue')).toEqual(['queued', 'waiting']);
  });

  it('makes a write conditional on the state read only where the move may start', () => {
    expect(fromTheStateRead('expire', 'waiting')).toEqual(['waiting']);
    expect(fromTheStateRead('expire', 'provisioning')).toEqual([]);
    expect(fromTheStateRead('mark-ending', 'ending')).toEqual(['ending']);
    expect(fromTheStateRead('end', 'completed')).toEqual([]);
  });

  it('knows which single steps some move allows', () => {
    expect(isAllowedMove('waiting', 'queued')).toBe(true);
    expect(isAllowedMove('completed', 'queued')).toBe(false);
    expect(isAllowedMove('ending', 'queued')).toBe(false);
    expect(() => assertAllowed(['waiting'], 'queued')).not.toThrow();
    expect(() => assertAllowed([], 'queued')).not.toThrow();
    expect(() => assertAllowed(['waiting', 'cancelled', 'ending'], 'queued')).toThrow(
      'no request move from cancelled, ending to queued',
    );
  });

  it('gives a slot back into queued or waiting by requeue, into an end by release, and into nothing else', () => {
    expect(['queued', 'waiting'].map((to) => slotReturnInto(to as RequestStatus))).toEqual([
      'requeue',
      'requeue',
    ]);
    expect(terminalStatuses.map(slotReturnInto)).toEqual(['release', 'release', 'release']);
    for (const to of ['provisioning', 'provisioned', 'started', 'ending'] as const)
      expect(() => slotReturnInto(to)).toThrow(`no move gives a slot back into ${to}`);
  });
});

describe('the state machine the table draws', () => {
  it('names each move once', () => {
    const names = requestMoves.map((row) => row.move);
    expect(new Set(names).size).toBe(names.length);
  });

  it('leads out of every state but completed and cancelled, and only an operator leads out of failed', () => {
    const leaving = (status: RequestStatus) =>
      requestMoves
        .filter((row) => (row.from as readonly RequestStatus[]).includes(status))
        .map((row) => row.move);
    for (const status of anyActive) expect(leaving(status)).not.toEqual([]);
    expect(leaving('completed')).toEqual([]);
    expect(leaving('cancelled')).toEqual([]);
    // The CI's end of a failed build leaves it failed (`note-ci-end`): only an operator takes it out.
    expect(leaving('failed')).toEqual(['retry-by-operator', 'note-ci-end']);
    expect(toStatesOf('note-ci-end')).toEqual(['failed']);
  });

  it('leads into every state', () => {
    const reached = new Set(requestMoves.flatMap((row) => row.to));
    expect(requestStatuses.filter((status) => !reached.has(status))).toEqual([]);
  });

  it('never takes an ending request back to queued or waiting: the CI ended that build', () => {
    const back = stepsOf(requestMoves).filter((step) => /^ending -> (queued|waiting) /.test(step));
    expect(back).toEqual([]);
  });

  it('holds a slot exactly in provisioning, provisioned, started and ending', () => {
    expect([...slotStates].sort()).toEqual(['ending', 'provisioned', 'provisioning', 'started']);
  });

  it('takes a slot only for a request holding none, and gives one back only into a state that holds none', () => {
    for (const row of requestMoves.filter((candidate) => candidate.slot === 'takes'))
      expect(row.from.filter((status) => slotStates.has(status))).toEqual([]);
    for (const row of requestMoves.filter((candidate) => candidate.slot === 'gives back'))
      expect(row.to.filter((status) => slotStates.has(status))).toEqual([]);
  });

  it('keeps a slot only into a state that holds one, and a move without one never ends holding one', () => {
    for (const row of requestMoves.filter((candidate) => candidate.slot === 'keeps'))
      expect(row.to.every((status) => slotStates.has(status))).toBe(true);
    for (const row of requestMoves.filter((candidate) => candidate.slot === 'none'))
      expect(row.to.filter((status) => slotStates.has(status) && status !== 'started')).toEqual([]);
  });
});
