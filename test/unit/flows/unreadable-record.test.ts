import { provisionRequest } from '../../../shared/provision';
import { reap } from '../../../shared/reap';
import { podNameFor } from '../../../shared/requests/identity';
import { receiveWebhook } from '../../../shared/webhook';
import {
  createTwins,
  finishPod,
  genericDelivery,
  leakedSlotServed,
  livePods,
  provisionInTurn,
  provisionedBuild,
  recordQueued,
  slots,
} from './twins';

/**
 * A request this code cannot read: one a later release wrote (a state or value this one does not
 * know), met during that release's deploy or after a rollback to this one (bug 102). It stops no
 * more than itself: the reaper leaves it and its pod as they are and reaps the rest, and a wake
 * wakes the others.
 */
describe('one request record this code cannot read', () => {
  it.each([
    ['every record readable', false],
    ['one unreadable', true],
  ])('%s: the reaper still reaps the other builds', async (_name, unreadable) => {
    const twins = createTwins();
    const done = await provisionedBuild(twins, 'build-1');
    await receiveWebhook(genericDelivery(twins, 'started', 'build-1'), twins.webhook);
    const later = await provisionedBuild(twins, 'build-2', 'big', ['big']);
    await receiveWebhook(genericDelivery(twins, 'started', 'build-2'), twins.webhook);
    const key = { pk: `request#${later}`, sk: 'request' };
    // As a later release might mark it: a value this one's schema lacks.
    if (unreadable)
      twins.state.table.put({ ...twins.state.table.get(key)!, status: 'ending', endAs: 'expired' });
    finishPod(twins, podNameFor('gen', done), 'Succeeded', 0);
    twins.clock.advance(60);

    const report = await reap(twins.reap);
    expect(livePods(twins)).not.toContain(podNameFor('gen', done));
    expect(await twins.state.requests.get(done)).toMatchObject({ status: 'completed', holdsSlot: false });
    expect((await slots(twins)).templates.gen).toBe(0);
    expect(report.errors).toBe(unreadable ? 1 : 0);
  });

  it('keeps its pod and its slot for as long as it cannot be read, and repairs no counter meanwhile', async () => {
    const twins = createTwins();
    const later = await provisionedBuild(twins, 'build-2', 'big', ['big']);
    const key = { pk: `request#${later}`, sk: 'request' };
    twins.state.table.put({ ...twins.state.table.get(key)!, status: 'ending', endAs: 'expired' });
    // Hours on, a pod whose request the reaper could read would be long gone (stuck Pending).
    for (let run = 0; run < 3; run += 1) {
      twins.clock.advance(3600);
      const report = await reap(twins.reap);
      expect(report).toMatchObject({ errors: 1, counterRepairs: 0 });
    }
    expect(livePods(twins)).toEqual([podNameFor('big', later)]);
    expect(await slots(twins)).toEqual({ global: 1, templates: { big: 1 } });
  });

  it('is not woken, and the waiting builds behind it are', async () => {
    const twins = createTwins();
    // The flows' config caps template gen at 1: the second and third builds wait.
    const [first, second, third] = (await provisionInTurn(twins, ['build-1', 'build-2', 'build-3'])) as [
      string,
      string,
      string,
    ];
    expect(await twins.state.requests.get(second)).toMatchObject({ status: 'waiting' });
    const key = { pk: `request#${second}`, sk: 'request' };
    twins.state.table.put({ ...twins.state.table.get(key)!, endAs: 'expired' });

    // The first build ends: its slot goes to the oldest waiting build this code can read.
    await receiveWebhook(genericDelivery(twins, 'completed', 'build-1'), twins.webhook);
    // The ended build's message, then the woken build's.
    for (let round = 0; round < 2; round += 1) {
      const sent = twins.queue.sentIds();
      twins.queue.clear();
      for (const id of sent) await provisionRequest(id, twins.provision);
    }
    expect(await twins.state.requests.get(first)).toMatchObject({ status: 'completed' });
    expect(await twins.state.requests.get(third)).toMatchObject({ status: 'provisioned' });
    expect(twins.state.table.get(key)).toMatchObject({ status: 'waiting' });
  });

  it('named by its key whatever its attributes say: a damaged requestId still keeps its pod', async () => {
    const twins = createTwins();
    const requestId = await provisionedBuild(twins, 'build-2', 'big', ['big']);
    const pod = podNameFor('big', requestId);
    twins.agents.setStatus(twins.namespace, pod, { phase: 'Running', startTime: twins.clock.now() });
    const key = { pk: `request#${requestId}`, sk: 'request' };
    twins.state.table.put({ ...twins.state.table.get(key)!, requestId: 7 } as never);
    twins.clock.advance(600);
    expect(await reap(twins.reap)).toMatchObject({ errors: 1 });
    expect(livePods(twins)).toEqual([pod]);
  });

  it.each([
    ['every record readable', false],
    ['a waiting one, which holds no slot, unreadable', true],
  ])('%s: a leaked slot of another template is still repaired', async (_name, unreadable) => {
    const twins = createTwins();
    const other = await recordQueued(twins, 'big-1', 'big', ['big']);
    const key = { pk: `request#${other}`, sk: 'request' };
    twins.state.table.put({
      ...twins.state.table.get(key)!,
      status: 'waiting',
      ...(unreadable ? { endAs: 'expired' } : {}),
    });
    expect(await leakedSlotServed(twins)).toBe(true);
    expect((await slots(twins)).templates.gen).toBe(1);
  });

  it('in a state this release does not know (in no list it reads): found by its pod, kept, and its cap holds', async () => {
    const twins = createTwins();
    const later = await provisionedBuild(twins, 'build-1');
    const pod = podNameFor('gen', later);
    twins.agents.setStatus(twins.namespace, pod, { phase: 'Running', startTime: twins.clock.now() });
    const key = { pk: `request#${later}`, sk: 'request' };
    // A later release's state, still holding its slot (its agent still runs a build).
    twins.state.table.put({ ...twins.state.table.get(key)!, status: 'paused' });
    for (let run = 0; run < 3; run += 1) {
      twins.clock.advance(180);
      expect(await reap(twins.reap)).toMatchObject({ errors: 1, counterRepairs: 0, deleted: {} });
    }
    expect(livePods(twins)).toEqual([pod]);
    // Template gen's cap of 1 still counts it.
    const next = await recordQueued(twins, 'build-2');
    expect(await provisionRequest(next, twins.provision)).toMatchObject({ kind: 'waiting' });
  });
});
