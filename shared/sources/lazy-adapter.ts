import type { CiSourceAdapter } from './types';

/**
 * Which of the adapter's optional calls it has. Known from its checked settings before its code
 * loads, because the callers test for them (the reaper asks only an adapter with `isAgentBusy`, and
 * polls only one with `listQueuedBuilds`).
 */
export interface AdapterCalls {
  readonly isAgentBusy: boolean;
  readonly listQueuedBuilds: boolean;
}

/**
 * A CI's adapter whose code (its REST calls, agent or runner registration, App tokens: 4 to 10 KiB
 * of a function's bundle each) loads on its first call, not at cold start: a function with every CI
 * configured used to load all four at every cold start, and most of its invocations call one CI or
 * none (docs/performance.md, "Each CI's adapter on its first call"). The caller checks the settings
 * before this, so a bad option or an unreadable key still stops the cold start.
 *
 * One load per adapter, shared by concurrent first calls; a failed load (a missing chunk) is not
 * kept, so the next call tries again.
 */
export function lazyAdapter(
  name: CiSourceAdapter['name'],
  calls: AdapterCalls,
  load: () => Promise<CiSourceAdapter>,
): CiSourceAdapter {
  let loading: Promise<CiSourceAdapter> | undefined;
  const loaded = (): Promise<CiSourceAdapter> =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
  const optional = async <Call extends 'isAgentBusy' | 'listQueuedBuilds'>(
    call: Call,
  ): Promise<NonNullable<CiSourceAdapter[Call]>> => {
    const adapter = await loaded();
    const method = adapter[call];
    // Only a mismatch between the settings' calls and the adapter's own could get here: a bug.
    if (method === undefined)
      throw new Error(`The ${name} adapter has no ${call}, though its settings said so`);
    return method.bind(adapter) as NonNullable<CiSourceAdapter[Call]>;
  };
  return {
    name,
    createAgentCredentials: async (request) => (await loaded()).createAgentCredentials(request),
    deregisterAgent: async (request) => (await loaded()).deregisterAgent(request),
    ...(calls.isAgentBusy
      ? { isAgentBusy: async (agentName: string) => (await optional('isAgentBusy'))(agentName) }
      : {}),
    ...(calls.listQueuedBuilds
      ? { listQueuedBuilds: async () => (await optional('listQueuedBuilds'))() }
      : {}),
  };
}
