import { endedRequestTtlSeconds } from '../../../shared/requests';
import { StateUnavailableError } from '../../../shared/state/errors';
import { keys } from '../../../shared/state/keys';
import { createMemoryState, createMemoryTable } from '../../../shared/state/memory';
import { queuedRecord } from '../../support/records';
import { createTestClock } from '../../contracts/harness';

/** What the in-memory table adds to the ports' contracts: copies, failures on demand, the TTL sweep. */
describe('the in-memory table', () => {
  it('hands out copies, so nothing a caller holds changes what is stored', async () => {
    const { requests } = createMemoryState();
    const record = queuedRecord('copy');
    await requests.createIfAbsent(record);
    record.labels.push('mutated');
    const read = await requests.get('copy');
    read!.labels.push('mutated too');
    expect((await requests.get('copy'))?.labels).toEqual(['linux']);
  });

  it('fails the next calls it is told to, writing nothing, then recovers', async () => {
    const { table, requests, deliveries } = createMemoryState();
    table.failNext(2);
    await expect(requests.createIfAbsent(queuedRecord('f'))).rejects.toBeInstanceOf(StateUnavailableError);
    await expect(deliveries.remember('github', 'd')).rejects.toBeInstanceOf(StateUnavailableError);
    expect(await requests.get('f')).toBeUndefined();
    table.failNext();
    await expect(deliveries.seen('github', 'd')).rejects.toThrow(/in-memory table is failing/);
    table.recover();
    expect(await deliveries.seen('github', 'd')).toBe(false);
  });

  it('keeps expired items until the TTL sweep, which deletes only those', async () => {
    const clock = createTestClock();
    const { table, requests, deliveries } = createMemoryState({ now: clock.now });
    await requests.createIfAbsent(queuedRecord('live'));
    await requests.end(queuedRecord('gone'), 'completed');
    await deliveries.remember('github', 'd-1');
    clock.advance((endedRequestTtlSeconds + 1) * 1000);
    expect(await deliveries.seen('github', 'd-1')).toBe(true);
    expect(table.sweepExpired()).toBe(2);
    expect(await requests.get('gone')).toBeUndefined();
    expect(await deliveries.seen('github', 'd-1')).toBe(false);
    expect(await requests.get('live')).toBeDefined();
  });

  it('puts every store on the one table, as DynamoDB does', async () => {
    const { table, requests, capacity, leases, settings } = createMemoryState();
    await requests.createIfAbsent(queuedRecord('one'));
    await capacity.reserve({
      requestId: 'one',
      template: 'tpl',
      podName: 'pc-one',
      attempts: 0,
      globalCap: 1,
      templateCap: 1,
    });
    await leases.acquire('reaper', 'run', 60);
    await settings.update((now) => ({ ...now, drained: true }));
    expect(table.items().map((item) => `${item.pk} ${item.sk}`)).toEqual([
      'capacity global',
      'capacity template#tpl',
      'lease reaper',
      `${keys.request('one').pk} request`,
      'settings runtime',
    ]);
  });

  it('drops undefined attributes, nested ones too', () => {
    const table = createMemoryTable();
    table.put({ pk: 'p', sk: 's', a: undefined, b: { c: undefined, d: 1 } });
    expect(table.get({ pk: 'p', sk: 's' })).toEqual({ pk: 'p', sk: 's', b: { d: 1 } });
    expect(Object.keys(table.get({ pk: 'p', sk: 's' })!.b as object)).toEqual(['d']);
  });
});
