import type { LoggerPort } from '../../../shared/ports/logger';
import { ciForgot, removeAgent, type AgentToRemove } from '../../../shared/sources/deregister';
import { CiAgentBusyError, CiError } from '../../../shared/sources/errors';
import type { CiSourceAdapter } from '../../../shared/sources/types';

function setup(deregistration: 'ok' | 'for-now' | 'for-good' | 'busy', deletion: 'ok' | 'fails' = 'ok') {
  const calls: string[] = [];
  const warnings: string[] = [];
  const logger: LoggerPort = {
    info: () => undefined,
    warn: (message) => warnings.push(message),
    error: () => undefined,
  };
  const ports = {
    namespace: 'agents',
    logger,
    agents: {
      deletePod: async (namespace: string, name: string): Promise<boolean> => {
        calls.push(`delete ${namespace}/${name}`);
        if (deletion === 'fails') throw new Error('API server down');
        return true;
      },
    },
  };
  const adapter = {
    name: 'generic',
    createAgentCredentials: () => Promise.reject(new Error('not used')),
    deregisterAgent: async (request: { agentName: string }): Promise<void> => {
      calls.push(`deregister ${request.agentName}`);
      if (deregistration === 'busy') throw new CiAgentBusyError('runner 7 is still running a job', 422);
      if (deregistration !== 'ok') throw new CiError('CI says no', deregistration === 'for-now');
    },
  } as unknown as CiSourceAdapter;
  const target = (pod?: AgentToRemove['pod']): AgentToRemove => ({
    pod,
    adapter,
    agent: { requestId: 'r1', agentName: 'pod-1', labels: [], details: {} as never },
  });
  return { calls, warnings, ports, target };
}

describe('removeAgent', () => {
  it('deregisters, then deletes the pod: the CI forgot the agent', async () => {
    const { calls, ports, target } = setup('ok');
    const removal = await removeAgent(ports, target('delete'));
    expect(removal).toEqual({ kind: 'forgotten' });
    expect(calls).toEqual(['deregister pod-1', 'delete agents/pod-1']);
  });

  it('leaves the pod of an agent the CI says runs a job (one it took), unless told to delete it anyway', async () => {
    const busy = setup('busy');
    const removal = await removeAgent(busy.ports, busy.target('delete'));
    expect(removal).toMatchObject({ kind: 'busy', error: expect.any(CiAgentBusyError) });
    expect(ciForgot(removal)).toBe(false);
    expect(busy.calls).toEqual(['deregister pod-1']);
    expect(busy.warnings).toEqual([]);
    // A kept template's agent (from), or one past its maximum lifetime, goes busy or not.
    const anyway = setup('busy');
    const forced = await removeAgent(anyway.ports, { ...anyway.target('delete'), evenIfBusy: true });
    // Going anyway, the CI's refusal is let go: it lists the agent until it sees it gone.
    expect(forced.kind).toBe('refused');
    expect(ciForgot(forced)).toBe(true);
    expect(anyway.calls).toEqual(['deregister pod-1', 'delete agents/pod-1']);
  });

  it('leaves the pod when not asked, and counts no adapter as forgotten', async () => {
    const { calls, ports, target } = setup('ok');
    expect(await removeAgent(ports, { ...target(), adapter: undefined })).toEqual({ kind: 'forgotten' });
    expect(calls).toEqual([]);
  });

  it('keeps the agent when the CI failed for now, and lets a refusal go', async () => {
    const forNow = setup('for-now');
    const kept = await removeAgent(forNow.ports, forNow.target());
    expect(kept.kind).toBe('kept');
    expect(ciForgot(kept)).toBe(false);
    expect(forNow.warnings).toHaveLength(1);
    const forGood = setup('for-good');
    const refused = await removeAgent(forGood.ports, forGood.target());
    expect(refused.kind).toBe('refused');
    expect(ciForgot(refused)).toBe(true);
  });

  it('throws a failed deletion, or ignores it when asked to try', async () => {
    const failing = setup('ok', 'fails');
    await expect(removeAgent(failing.ports, failing.target('delete'))).rejects.toThrow('API server down');
    expect(failing.calls).toEqual(['deregister pod-1', 'delete agents/pod-1']);
    const trying = setup('ok', 'fails');
    expect(await removeAgent(trying.ports, trying.target('try-delete'))).toEqual({ kind: 'forgotten' });
    expect(trying.calls).toEqual(['deregister pod-1', 'delete agents/pod-1']);
  });
});
