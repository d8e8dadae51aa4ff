import { lazyAdapter } from '../../../shared/sources/lazy-adapter';
import type { AgentRequest, BuildEvent, CiSourceAdapter } from '../../../shared/sources/types';

const request: AgentRequest = {
  requestId: 'req-0001',
  agentName: 'pitcrew-linux-0001',
  labels: ['linux'],
  details: { source: 'jenkins' },
};
const queued: BuildEvent = {
  source: 'jenkins',
  jobKey: 'job-1',
  action: 'queued',
  labels: ['linux'],
  deliveryId: 'poll:job-1',
  details: { source: 'jenkins' },
};

/** An adapter that records its calls, as the loaded code would be. */
function recordingAdapter(calls: string[], optional: Partial<CiSourceAdapter> = {}): CiSourceAdapter {
  return {
    name: 'jenkins',
    async createAgentCredentials(made) {
      calls.push(`create ${made.agentName}`);
      return { secretEnv: { SECRET: 's' }, env: {} };
    },
    async deregisterAgent(removed) {
      calls.push(`deregister ${removed.agentName}`);
    },
    ...optional,
  };
}

describe('lazyAdapter (a CI adapter whose code loads on its first call)', () => {
  it('loads nothing until a call, then once, for concurrent first calls and later ones', async () => {
    const calls: string[] = [];
    let loads = 0;
    const adapter = lazyAdapter('jenkins', { isAgentBusy: false, listQueuedBuilds: false }, async () => {
      loads += 1;
      return recordingAdapter(calls);
    });
    expect(loads).toBe(0);
    expect(adapter.name).toBe('jenkins');
    const [credentials] = await Promise.all([
      adapter.createAgentCredentials(request),
      adapter.deregisterAgent(request),
    ]);
    await adapter.createAgentCredentials({ ...request, agentName: 'pitcrew-linux-0002' });
    expect(loads).toBe(1);
    expect(credentials).toEqual({ secretEnv: { SECRET: 's' }, env: {} });
    expect(calls.sort()).toEqual([
      'create pitcrew-linux-0001',
      'create pitcrew-linux-0002',
      'deregister pitcrew-linux-0001',
    ]);
  });

  it('has exactly the optional calls its settings name, and passes them through', async () => {
    const load = async () =>
      recordingAdapter([], {
        isAgentBusy: async (agentName) => agentName === 'busy',
        listQueuedBuilds: async () => [queued],
      });
    const none = lazyAdapter('jenkins', { isAgentBusy: false, listQueuedBuilds: false }, load);
    expect([none.isAgentBusy, none.listQueuedBuilds]).toEqual([undefined, undefined]);
    const both = lazyAdapter('jenkins', { isAgentBusy: true, listQueuedBuilds: true }, load);
    expect(await both.isAgentBusy?.('busy')).toBe(true);
    expect(await both.isAgentBusy?.('idle')).toBe(false);
    expect(await both.listQueuedBuilds?.()).toEqual([queued]);
  });

  it('names the call when the settings promise one the loaded adapter lacks', async () => {
    const adapter = lazyAdapter('gitlab', { isAgentBusy: false, listQueuedBuilds: true }, async () =>
      recordingAdapter([]),
    );
    await expect(adapter.listQueuedBuilds?.()).rejects.toThrow(
      'The gitlab adapter has no listQueuedBuilds, though its settings said so',
    );
  });

  it('tries the load again on the next call after a failed one', async () => {
    let loads = 0;
    const adapter = lazyAdapter('jenkins', { isAgentBusy: false, listQueuedBuilds: false }, async () => {
      loads += 1;
      if (loads === 1) throw new Error('chunk missing');
      return recordingAdapter([]);
    });
    await expect(adapter.deregisterAgent(request)).rejects.toThrow('chunk missing');
    await expect(adapter.deregisterAgent(request)).resolves.toBeUndefined();
    expect(loads).toBe(2);
  });
});
