/** What a stand-in's injected failure may be limited to: one method, and paths matching a pattern. */
export interface FailureMatch {
  readonly method?: string;
  readonly path?: RegExp;
}

/** What a CI stand-in offers a test to make it fail: its failure schedule's controls. */
export interface FailureControls<F extends FailureMatch> {
  /** The next `count` matching requests get `failure` instead of their real answer. */
  failNext(count: number, failure: F): void;
  /** Every matching request for the next `ms` gets `failure` (an outage or a rate limit for a while). */
  failFor(ms: number, failure: F): void;
  /** Ends every failure still pending (the outage is over). */
  clearFailures(): void;
  /** How many requests got an injected failure, by kind (a status, or `reset`). */
  failuresServed(): Readonly<Record<string, number>>;
}

/**
 * The failures a CI stand-in is told to inject (the next N matching requests, or every matching one
 * for a while), shared by the GitHub and Jenkins stand-ins; it counts what it served by `kindOf`
 * (a status, or `reset` for a dropped connection).
 */
export function createFailureSchedule<F extends FailureMatch>(kindOf: (failure: F) => string) {
  const pending: { remaining: number; untilMs?: number; failure: F }[] = [];
  const served: Record<string, number> = {};
  return {
    /** The next `count` matching requests get `failure` instead of their real answer. */
    failNext(count: number, failure: F): void {
      pending.push({ remaining: count, failure });
    },
    /** Every matching request for the next `ms` gets `failure` (an outage or a rate limit for a while). */
    failFor(ms: number, failure: F): void {
      pending.push({ remaining: Number.POSITIVE_INFINITY, untilMs: Date.now() + ms, failure });
    },
    /** Ends every failure still pending (the outage is over). */
    clearFailures(): void {
      pending.length = 0;
    },
    /** How many requests got an injected failure, by kind. */
    failuresServed: (): Readonly<Record<string, number>> => ({ ...served }),
    /** The failure this request gets, if one is pending for it; counted as served. */
    take(method: string, path: string): F | undefined {
      const nowMs = Date.now();
      for (const expired of pending.filter((entry) => (entry.untilMs ?? Infinity) <= nowMs))
        pending.splice(pending.indexOf(expired), 1);
      const entry = pending.find(
        ({ failure }) =>
          (failure.method === undefined || failure.method === method) &&
          (failure.path === undefined || failure.path.test(path)),
      );
      if (entry === undefined) return undefined;
      entry.remaining -= 1;
      if (entry.remaining <= 0) pending.splice(pending.indexOf(entry), 1);
      const kind = kindOf(entry.failure);
      served[kind] = (served[kind] ?? 0) + 1;
      return entry.failure;
    },
  };
}
