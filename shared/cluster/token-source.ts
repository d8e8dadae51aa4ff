/** Where the Kubernetes client gets its bearer token for each call. */
export interface TokenSource {
  /** The current token: cached until it expires. */
  token(): Promise<string>;
  /**
   * A token read afresh, because the API server refused the current one (401). Calls within
   * `minRefreshIntervalMs` of the last fresh read share it, so a burst of 401s costs one read.
   */
  refresh(): Promise<string>;
}

export interface TokenRead {
  readonly token: string;
  /** Read again after this; absent: until the next refresh. */
  readonly expiresAt?: Date;
}

export interface CachedTokenSourceOptions {
  /** Reads a token; `fresh` asks past any cache below (Secrets Manager's, say). */
  readonly read: (fresh: boolean) => Promise<TokenRead>;
  readonly now?: () => number;
  readonly minRefreshIntervalMs?: number;
}

export const tokenSourceDefaults = { minRefreshIntervalMs: 5_000 } as const;

/**
 * Caches a token until its expiry, and reads it again on demand. One read at a time: concurrent
 * callers wait for the same read rather than each asking STS or Secrets Manager.
 */
export function createCachedTokenSource(options: CachedTokenSourceOptions): TokenSource {
  const now = options.now ?? Date.now;
  const minRefreshIntervalMs = options.minRefreshIntervalMs ?? tokenSourceDefaults.minRefreshIntervalMs;
  let current: TokenRead | undefined;
  let lastFreshReadAt: number | undefined;
  let pending: Promise<string> | undefined;

  function readOnce(fresh: boolean): Promise<string> {
    pending ??= options
      .read(fresh)
      .then((read) => {
        current = read;
        if (fresh) lastFreshReadAt = now();
        return read.token;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  }

  return {
    token() {
      const expiresAt = current?.expiresAt?.getTime();
      if (current && (expiresAt === undefined || now() < expiresAt)) return Promise.resolve(current.token);
      return readOnce(false);
    },
    refresh() {
      const recent = lastFreshReadAt !== undefined && now() - lastFreshReadAt < minRefreshIntervalMs;
      if (current && recent) return Promise.resolve(current.token);
      return readOnce(true);
    },
  };
}
