import { anyCiPolls } from '../../../shared/runtime/reap-polling';
import type { CiSourceAdapter, SourceRegistry } from '../../../shared/sources/types';

const adapter = (name: CiSourceAdapter['name'], polls: boolean): CiSourceAdapter => ({
  name,
  createAgentCredentials: () => Promise.resolve({ secretEnv: {}, env: {} }),
  deregisterAgent: () => Promise.resolve(),
  ...(polls ? { listQueuedBuilds: () => Promise.resolve([]) } : {}),
});

describe("whether the reaper loads the CIs' polling at cold start", () => {
  it('does when any configured CI is set to poll, and not otherwise', () => {
    const none: SourceRegistry = {};
    const quiet: SourceRegistry = {
      github: { adapter: adapter('github', false) },
      jenkins: { adapter: adapter('jenkins', false) },
    };
    const onePolls: SourceRegistry = { ...quiet, gitlab: { adapter: adapter('gitlab', true) } };
    expect([anyCiPolls(none), anyCiPolls(quiet), anyCiPolls(onePolls)]).toEqual([false, false, true]);
  });
});
