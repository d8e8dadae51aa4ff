import type { CiSource } from '../../../shared/sources';
import { createBacklogGate } from '../../../shared/webhook';

function gateOver(counts: Partial<Record<CiSource, number>>) {
  let nowMs = 0;
  const calls: Array<{ source: CiSource; atMost: number }> = [];
  const gate = createBacklogGate({
    count: async (source, atMost) => {
      calls.push({ source, atMost });
      return counts[source] ?? 0;
    },
    now: () => nowMs,
    countMaxAgeMs: 5000,
  });
  return { gate, calls, advance: (ms: number) => (nowMs += ms), counts };
}

describe('backlog gate', () => {
  it('is full at the cap and open below it, counting only up to the cap', async () => {
    const { gate, calls } = gateOver({ generic: 3, jenkins: 2 });
    expect(await gate.isFull('generic', 3)).toBe(true);
    expect(await gate.isFull('jenkins', 3)).toBe(false);
    expect(calls).toEqual([
      { source: 'generic', atMost: 3 },
      { source: 'jenkins', atMost: 3 },
    ]);
  });

  it('reuses a count for a few seconds, adding the builds it admitted meanwhile', async () => {
    const { gate, calls, advance } = gateOver({ generic: 1 });
    expect(await gate.isFull('generic', 3)).toBe(false);
    gate.admitted('generic');
    expect(await gate.isFull('generic', 3)).toBe(false);
    gate.admitted('generic');
    expect(await gate.isFull('generic', 3)).toBe(true);
    expect(calls).toHaveLength(1);
    advance(5000);
    expect(await gate.isFull('generic', 3)).toBe(false);
    expect(calls).toHaveLength(2);
  });

  it('keeps sources apart', async () => {
    const { gate } = gateOver({ generic: 0, github: 0 });
    await gate.isFull('generic', 1);
    await gate.isFull('github', 1);
    gate.admitted('generic');
    expect(await gate.isFull('generic', 1)).toBe(true);
    expect(await gate.isFull('github', 1)).toBe(false);
  });
});
