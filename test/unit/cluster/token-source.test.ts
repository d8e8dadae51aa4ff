import { createCachedTokenSource, type TokenRead } from '../../../shared/cluster';

/** A token store that counts reads and says whether each asked past the caches. */
function countingStore(tokens: string[], expiresInMs?: number, clock = { now: 0 }) {
  const reads: boolean[] = [];
  const read = async (fresh: boolean): Promise<TokenRead> => {
    reads.push(fresh);
    const token = tokens[Math.min(reads.length - 1, tokens.length - 1)]!;
    return expiresInMs === undefined ? { token } : { token, expiresAt: new Date(clock.now + expiresInMs) };
  };
  return { read, reads, clock };
}

describe('cached token source', () => {
  it('reads once and reuses the token until it expires', async () => {
    const store = countingStore(['t1', 't2'], 1000);
    const source = createCachedTokenSource({ read: store.read, now: () => store.clock.now });
    expect(await source.token()).toBe('t1');
    store.clock.now = 999;
    expect(await source.token()).toBe('t1');
    store.clock.now = 1000;
    expect(await source.token()).toBe('t2');
    expect(store.reads).toEqual([false, false]);
  });

  it('keeps a token without expiry until a refresh, which asks past the caches', async () => {
    const store = countingStore(['stale', 'rotated']);
    const source = createCachedTokenSource({ read: store.read, now: () => store.clock.now });
    expect(await source.token()).toBe('stale');
    store.clock.now = 86_400_000;
    expect(await source.token()).toBe('stale');
    expect(await source.refresh()).toBe('rotated');
    expect(await source.token()).toBe('rotated');
    expect(store.reads).toEqual([false, true]);
  });

  it('refreshes right after the first read (which may have come from a stale cache)', async () => {
    const store = countingStore(['stale', 'rotated']);
    const source = createCachedTokenSource({ read: store.read, now: () => 0, minRefreshIntervalMs: 5000 });
    await source.token();
    expect(await source.refresh()).toBe('rotated');
  });

  it('answers a burst of 401s with one fresh read', async () => {
    const store = countingStore(['t1', 't2', 't3']);
    const source = createCachedTokenSource({
      read: store.read,
      now: () => store.clock.now,
      minRefreshIntervalMs: 5000,
    });
    await source.token();
    const refreshed = await Promise.all([source.refresh(), source.refresh(), source.refresh()]);
    expect(refreshed).toEqual(['t2', 't2', 't2']);
    store.clock.now = 4999;
    expect(await source.refresh()).toBe('t2');
    store.clock.now = 5000;
    expect(await source.refresh()).toBe('t3');
    expect(store.reads).toEqual([false, true, true]);
  });

  it('shares one read between concurrent first callers, and retries after a failed read', async () => {
    let calls = 0;
    const source = createCachedTokenSource({
      read: async () => {
        calls += 1;
        if (calls === 1) throw new Error('throttled');
        return { token: 'ok' };
      },
    });
    const first = await Promise.allSettled([source.token(), source.token()]);
    expect(first.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(1);
    expect(await source.token()).toBe('ok');
    expect(calls).toBe(2);
  });
});
