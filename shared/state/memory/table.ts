import type { Clock } from '../../ports/clock';
import { StateUnavailableError } from '../errors';

/** One item of the table: its keys (`pk`, `sk`) and attributes, as DynamoDB would hold them. */
export type MemoryItem = Record<string, unknown> & { readonly pk: string; readonly sk: string };

export interface MemoryTableOptions {
  /** The clock every store on the table reads unless given its own (the TTL sweep reads it too). */
  readonly now?: Clock;
}

/**
 * The one table, in memory, for the in-memory twins of the stores (`pitcrew dev`, the flows' unit
 * tests). Items are copied in and out, so nothing a caller holds changes what is stored, and each
 * store call reads and writes in one synchronous step, so every conditional write is atomic and
 * every transaction all or nothing. Nothing here waits on a timer or draws a random number.
 */
export interface MemoryTable {
  readonly now: Clock;
  /** A copy of the item, or undefined. */
  get(key: { pk: string; sk: string }): MemoryItem | undefined;
  /** Stores a copy of the item, dropping undefined attributes as the DynamoDB client does. */
  put(item: MemoryItem): void;
  delete(key: { pk: string; sk: string }): void;
  /** Copies of a partition's items, by sort key. */
  query(pk: string): MemoryItem[];
  /** Copies of every item, by partition then sort key. */
  items(): MemoryItem[];
  /**
   * Makes the next `calls` store calls (every one from now on by default) throw
   * `StateUnavailableError` before reading or writing anything, as an unreachable table would.
   */
  failNext(calls?: number): void;
  /** Ends `failNext`. */
  recover(): void;
  /** Called by each store call before it reads or writes: throws while the table fails. */
  check(operation: string): void;
  /**
   * What DynamoDB's TTL does some time after an item's `expiresAt` (epoch seconds) passed: deletes
   * those items. It never runs by itself (DynamoDB gives no time for it either); answers how many.
   */
  sweepExpired(): number;
}

const keyOf = (key: { pk: string; sk: string }): string => `${key.pk}\u0000${key.sk}`;

/** Drops undefined attributes, in nested maps too (the document client's `removeUndefinedValues`). */
function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((entry) => entry !== undefined).map(withoutUndefined);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, entry]) => entry !== undefined)
        .map(([name, entry]) => [name, withoutUndefined(entry)]),
    );
  return value;
}

const byKeys = (a: MemoryItem, b: MemoryItem): number =>
  a.pk < b.pk ? -1 : a.pk > b.pk ? 1 : a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0;

export function createMemoryTable(options: MemoryTableOptions = {}): MemoryTable {
  const items = new Map<string, MemoryItem>();
  const now = options.now ?? (() => new Date());
  let failing = 0;

  return {
    now,
    get: (key) => {
      const item = items.get(keyOf(key));
      return item ? structuredClone(item) : undefined;
    },
    put: (item) => {
      items.set(keyOf(item), withoutUndefined(structuredClone(item)) as MemoryItem);
    },
    delete: (key) => {
      items.delete(keyOf(key));
    },
    query: (pk) =>
      [...items.values()]
        .filter((item) => item.pk === pk)
        .sort(byKeys)
        .map((item) => structuredClone(item)),
    items: () => [...items.values()].sort(byKeys).map((item) => structuredClone(item)),
    failNext: (calls = Infinity) => {
      failing = calls;
    },
    recover: () => {
      failing = 0;
    },
    check: (operation) => {
      if (failing <= 0) return;
      failing -= 1;
      throw new StateUnavailableError(operation, {
        cause: new Error('the in-memory table is failing (failNext)'),
      });
    },
    sweepExpired: () => {
      const nowSeconds = Math.floor(now().getTime() / 1000);
      let swept = 0;
      for (const [key, item] of items)
        if (typeof item.expiresAt === 'number' && item.expiresAt < nowSeconds) {
          items.delete(key);
          swept += 1;
        }
      return swept;
    },
  };
}
