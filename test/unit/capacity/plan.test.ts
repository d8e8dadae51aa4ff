import { counterRepairs, expectedCounters, markOf, planTrim, planWake } from '../../../shared/capacity';
import { queuedRecord } from '../../support/records';

// Queued at `minute`; woken later in reverse order, so a test that sorted by statusSince would fail.
const waiting = (id: string, template: string, minute: number) =>
  queuedRecord(id, {
    status: 'waiting',
    template,
    createdAt: `2026-11-25T06:${String(minute).padStart(2, '0')}:00.000Z`,
    statusSince: `2026-11-25T07:${String(59 - minute).padStart(2, '0')}:00.000Z`,
  });

describe('planWake', () => {
  const limits = { globalCap: 10, templateCaps: { a: 5, b: 5 } };

  it('wakes the oldest first, taking turns between templates', () => {
    const plan = planWake(
      [waiting('a2', 'a', 2), waiting('a1', 'a', 1), waiting('b1', 'b', 3), waiting('a3', 'a', 4)],
      { global: 0, templates: {} },
      limits,
    );
    expect(plan.map((record) => record.requestId)).toEqual(['a1', 'b1', 'a2', 'a3']);
  });

  it('stays within each template cap and the global cap', () => {
    const many = Array.from({ length: 8 }, (_, index) => waiting(`a${index}`, 'a', index));
    expect(planWake(many, { global: 3, templates: { a: 3 } }, limits)).toHaveLength(2);
    expect(planWake(many, { global: 9, templates: { a: 0 } }, limits)).toHaveLength(1);
  });

  it('wakes nothing when there is no room', () => {
    expect(planWake([waiting('a1', 'a', 1)], { global: 10, templates: { a: 5 } }, limits)).toEqual([]);
  });
});

describe('counter repair', () => {
  it('expects one slot per request that holds one', () => {
    const holders = [
      queuedRecord('1', { template: 'a', holdsSlot: true }),
      queuedRecord('2', { template: 'a', holdsSlot: true }),
      queuedRecord('3', { template: 'b', holdsSlot: false }),
    ];
    expect(expectedCounters(holders)).toEqual({ global: 2, templates: { a: 2 } });
  });

  it('lists only the counters that drifted, including ones that should be zero', () => {
    expect(
      counterRepairs({ global: 5, templates: { a: 2, b: 3 } }, { global: 2, templates: { a: 2 } }),
    ).toEqual([
      { counter: 'global', observed: 5, expected: 2 },
      { counter: { template: 'b' }, observed: 3, expected: 0 },
    ]);
  });

  it("tells the global counter's mark from a template named global's, and finds none on the prototype", () => {
    const marks = { global: 7, templates: { global: 2 } };
    expect(markOf(marks, 'global')).toBe(7);
    expect(markOf(marks, { template: 'global' })).toBe(2);
    expect(markOf(marks, { template: 'constructor' })).toBeUndefined();
    expect(markOf(undefined, 'global')).toBeUndefined();
  });
});

describe('planTrim', () => {
  const holder = (id: string, pending: boolean, createdAtMs: number) => ({
    record: queuedRecord(id),
    pending,
    createdAtMs,
  });

  it('gives up pending agents newest first, never running ones', () => {
    const holders = [
      holder('run-old', false, 1),
      holder('pend-old', true, 2),
      holder('pend-new', true, 3),
      holder('run-new', false, 4),
    ];
    expect(planTrim(holders, 2, false).map((record) => record.requestId)).toEqual(['pend-new', 'pend-old']);
    expect(planTrim(holders, 1, false).map((record) => record.requestId)).toEqual(['pend-new', 'pend-old']);
  });

  it('trims running agents too only when forced', () => {
    const holders = [holder('run-old', false, 1), holder('run-new', false, 4)];
    expect(planTrim(holders, 1, false)).toEqual([]);
    expect(planTrim(holders, 1, true).map((record) => record.requestId)).toEqual(['run-new']);
  });
});
