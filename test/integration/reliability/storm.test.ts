import type { SqsHandler } from '../../../infra/local/dev/sqs-poller';
import type { ReapReport } from '../../../shared/reap';
import { importHandler } from '../../support/handlers';
import { lambdaContext } from '../../../infra/local/stand-ins/lambda';
import { startProvisioningSystem, type ProvisioningSystem } from '../../support/provisioning';
import { brokenPromises, runStorm, type StormReport } from '../../../infra/local/stand-ins/storm';
import { ciSizeStorm, stormSystemOf } from '../../support/storm-system';

/**
 * The storm at CI size (bench/storm.ts runs it with 2,000 builds): duplicates, out-of-order events,
 * cancellations, three provisioners and two reapers at once, kwok ending pods at random.
 * storm-faults.test.ts runs the same storm with the infrastructure failing under it.
 */
const caps = ciSizeStorm.caps;

describe('a storm of CI traffic', () => {
  let system: ProvisioningSystem;
  let report: StormReport;

  beforeAll(async () => {
    system = await startProvisioningSystem({
      ...ciSizeStorm.system,
    });
    // One after the other: each import is a cold start with a module registry of its own, and two
    // at once could link one handler's modules across two registries (two copies of an error class).
    const provisioners: SqsHandler[] = [];
    for (let n = 0; n < 3; n++)
      provisioners.push((await importHandler('provision', system.env)).handler as unknown as SqsHandler);
    const reapers: (() => Promise<ReapReport>)[] = [];
    for (let n = 0; n < 2; n++) {
      const handler = (await importHandler('reap', system.env)).handler;
      reapers.push(() => handler({}, lambdaContext('reap')) as Promise<ReapReport>);
    }
    report = await runStorm(await stormSystemOf(system, { provisioners, reapers, caps }), {
      builds: 90,
      seed: 7,
      maxRunMs: 800,
      reapEveryMs: 700,
      deadlineMs: 120_000,
    });
  }, 180_000);
  afterAll(() => system.close());

  it('settles: every build ended, nothing active, no pod left, every counter back at 0', () => {
    expect(report).toMatchObject({
      settled: true,
      podsLeft: 0,
      activeRequestsLeft: 0,
      countersAtEnd: { global: 0 },
      liveAgentsAtEnd: 0,
    });
    expect(Object.values(report.countersAtEnd.templates).filter((used) => used !== 0)).toEqual([]);
  });

  it('ran every build that should have run exactly once, and nothing else twice', () => {
    expect(report.neverRan).toEqual([]);
    expect(report.ranTwice).toEqual([]);
    expect(report.ranOnce).toBe(report.plans.run);
    expect(report.extraPods).toEqual([]);
    expect(report.agentsLostMidBuild).toEqual([]);
    expect(report.failures).toEqual([]);
  });

  it('never went over a cap, sampled at every pod change and every 200 ms on the counters', () => {
    expect(report.capSamples).toBeGreaterThan(100);
    expect(report.slotSamples).toBeGreaterThan(10);
    expect({ overCap: report.overCap, slotsOverCap: report.slotsOverCap }).toEqual({
      overCap: 0,
      slotsOverCap: 0,
    });
    expect(report.maxLivePods).toBeLessThanOrEqual(caps.global);
  });

  it('left no agent registered at the CIs and nothing in the dead-letter queue', () => {
    expect(report.strayAgents).toEqual([]);
    expect(report.deadLetters).toEqual([]);
    expect(brokenPromises(report)).toEqual([]);
  });

  it('actually stormed: duplicates, cancellations, out-of-order events, contention at the caps', () => {
    expect(report.duplicatesSent).toBeGreaterThan(0);
    expect(report.plans.cancel).toBeGreaterThan(0);
    expect(report.plans['out-of-order']).toBeGreaterThan(0);
    expect(report.maxSlots).toBe(caps.global);
    expect(report.reapSkipped).toBeGreaterThan(0);
  });
});
