import { capacityLimits, planWake } from '../../../shared/capacity';
import { queuedRecord } from '../../support/records';

// Template names are DNS labels, and `constructor` is one: every plain object has a `constructor`.
const template = (name: string, instanceCap: number) => ({ name, instanceCap });
const config = {
  capacity: { globalCap: 10 },
  templates: [template('constructor', 2), template('linux', 3)],
} as unknown as Parameters<typeof capacityLimits>[0];

describe('capacityLimits', () => {
  it("takes a template's configured cap unless the operator set one, whatever its name", () => {
    const limits = capacityLimits(config, { drained: false, templateCaps: {} });
    expect(limits.templateCaps).toEqual({ constructor: 2, linux: 3 });
    expect(capacityLimits(config, { drained: false, templateCaps: { constructor: 0 } }).templateCaps).toEqual(
      {
        constructor: 0,
        linux: 3,
      },
    );
  });

  it('wakes no more builds of a template named constructor than its cap', () => {
    const limits = capacityLimits(config, { drained: false, templateCaps: {} });
    const waiting = ['w1', 'w2', 'w3'].map((id) =>
      queuedRecord(id, { status: 'waiting', template: 'constructor' }),
    );
    expect(planWake(waiting, { global: 0, templates: {} }, limits)).toHaveLength(2);
    // A template the limits do not name gets no room, not Object's `toString`.
    const stray = queuedRecord('s1', { status: 'waiting', template: 'toString' });
    expect(planWake([stray], { global: 0, templates: {} }, limits)).toEqual([]);
  });
});
