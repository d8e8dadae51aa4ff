import type { CiSource } from '../sources/names';

/** Counts a source's waiting builds (queued or waiting); may stop counting once it reaches `atMost`. */
export type CountBacklog = (source: CiSource, atMost: number) => Promise<number>;

export interface BacklogGateOptions {
  readonly count: CountBacklog;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** How long a count is reused. Default 5 s. */
  readonly countMaxAgeMs?: number;
}

export interface BacklogGate {
  /** Whether one more queued build of `source` would go over `maxBacklog`. */
  isFull(source: CiSource, maxBacklog: number): Promise<boolean>;
  /** A queued build of `source` was just recorded. */
  admitted(source: CiSource): void;
}

/** Every default, in one place (docs/security.md, "Floods"). */
export const backlogGateDefaults = { countMaxAgeMs: 5000 } as const;

/** What 429's Retry-After says: about one reaper period, by when builds have moved on. */
export const backlogRetryAfterSeconds = 60;

interface Count {
  readonly atMs: number;
  readonly value: number;
  /** Builds this container recorded since the count was read. */
  admittedSince: number;
}

/**
 * A per-source backlog cap for the webhook: past it a flood of signed `queued` deliveries (a runaway
 * matrix, a replayed burst, a leaked secret) is answered 429 and records nothing, instead of filling
 * the table and the queue. Counting is a Query, so one count is reused for a few seconds and the
 * builds this container admits meanwhile are added to it: exact within one container, and at most
 * a few seconds of other containers' admissions under the truth. That is the trade: a flood cap, not
 * a capacity cap (capacity is reserved atomically by the provisioner).
 */
export function createBacklogGate(options: BacklogGateOptions): BacklogGate {
  const countMaxAgeMs = options.countMaxAgeMs ?? backlogGateDefaults.countMaxAgeMs;
  const counts = new Map<CiSource, Count>();

  async function currentCount(source: CiSource, maxBacklog: number): Promise<number> {
    const cached = counts.get(source);
    if (cached !== undefined && options.now() - cached.atMs < countMaxAgeMs)
      return cached.value + cached.admittedSince;
    const atMs = options.now();
    const value = await options.count(source, maxBacklog);
    counts.set(source, { atMs, value, admittedSince: 0 });
    return value;
  }

  return {
    async isFull(source, maxBacklog) {
      return (await currentCount(source, maxBacklog)) >= maxBacklog;
    },
    admitted(source) {
      const cached = counts.get(source);
      if (cached !== undefined) cached.admittedSince += 1;
    },
  };
}
