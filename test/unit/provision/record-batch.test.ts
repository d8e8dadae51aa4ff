import type { MoveResult, TransitionMove } from '../../../shared/ports/request-store';
import { createRecordBatch } from '../../../shared/provision/record-batch';
import { StateUnavailableError } from '../../../shared/state/errors';

/** A store that answers each move by its request id's prefix, and notes each call's moves. */
function fakeStore() {
  const calls: string[][] = [];
  const answer = (move: TransitionMove): MoveResult =>
    move.requestId.startsWith('gone')
      ? { kind: 'not-moved' }
      : move.requestId.startsWith('broken')
        ? { kind: 'failed', error: new Error(`cannot write ${move.requestId}`) }
        : { kind: 'moved' };
  return {
    calls,
    transitionAll: (moves: readonly TransitionMove[]) => {
      calls.push(moves.map((move) => move.requestId));
      return Promise.resolve(moves.map(answer));
    },
  };
}

const move = (requestId: string): TransitionMove => ({
  requestId,
  from: ['provisioning'],
  to: 'provisioned',
});

describe('createRecordBatch', () => {
  it('records the pods of every flow of a batch in one call, once each has recorded', async () => {
    const store = fakeStore();
    const batch = createRecordBatch(store, 10_000);
    const flows = ['a', 'b', 'c'].map(() => batch.join());
    const answers = flows.map((flow, index) => flow.record(move(`r-${index}`)));
    await expect(Promise.all(answers)).resolves.toEqual([true, true, true]);
    expect(store.calls).toEqual([['r-0', 'r-1', 'r-2']]);
  });

  it('goes as soon as the flows that did not record have left (skipped, waiting, failed)', async () => {
    const store = fakeStore();
    const batch = createRecordBatch(store, 10_000);
    const [first, second, third] = [batch.join(), batch.join(), batch.join()];
    const answers = [first!.record(move('r-1')), third!.record(move('r-3'))];
    await Promise.resolve();
    expect(store.calls).toEqual([]);
    second!.leave();
    await expect(Promise.all(answers)).resolves.toEqual([true, true]);
    expect(store.calls).toEqual([['r-1', 'r-3']]);
  });

  it('waits no longer than its wait for a slow flow, which then records on its own', async () => {
    const store = fakeStore();
    const batch = createRecordBatch(store, 5);
    const [fast, slow] = [batch.join(), batch.join()];
    await expect(fast!.record(move('fast'))).resolves.toBe(true);
    expect(store.calls).toEqual([['fast']]);
    await expect(slow!.record(move('slow'))).resolves.toBe(true);
    expect(store.calls).toEqual([['fast'], ['slow']]);
  });

  it("gives each flow its own move's outcome: false when it did not apply, its error when it failed", async () => {
    const store = fakeStore();
    const batch = createRecordBatch(store, 10_000);
    const [moved, gone, broken] = [batch.join(), batch.join(), batch.join()];
    const answers = [moved!.record(move('ok')), gone!.record(move('gone')), broken!.record(move('broken'))];
    await expect(answers[0]).resolves.toBe(true);
    await expect(answers[1]).resolves.toBe(false);
    await expect(answers[2]).rejects.toThrow('cannot write broken');
    expect(store.calls).toHaveLength(1);
  });

  it('fails every flow of a call the store could not make at all', async () => {
    const batch = createRecordBatch({ transitionAll: () => Promise.reject(new Error('no table')) }, 10_000);
    const flows = [batch.join(), batch.join()];
    const answers = flows.map((flow, index) => flow.record(move(`r-${index}`)));
    for (const answer of answers) await expect(answer).rejects.toThrow('no table');
  });

  it('fails every waiting flow, never leaves one hanging, when the store throws at once', async () => {
    const batch = createRecordBatch(
      {
        transitionAll: () => {
          throw new TypeError('a move the state table does not allow');
        },
      },
      10_000,
    );
    const flows = [batch.join(), batch.join()];
    const answers = flows.map((flow, index) => flow.record(move(`r-${index}`)));
    for (const answer of answers) await expect(answer).rejects.toThrow(TypeError);
  });

  it('gives a retryable error to a flow its store gave no answer for', async () => {
    const batch = createRecordBatch({ transitionAll: () => Promise.resolve([]) }, 10_000);
    await expect(batch.join().record(move('unanswered'))).rejects.toBeInstanceOf(StateUnavailableError);
  });

  it('records a lone flow at once, and a leave after recording changes nothing', async () => {
    const store = fakeStore();
    const batch = createRecordBatch(store, 10_000);
    const flow = batch.join();
    await expect(flow.record(move('alone'))).resolves.toBe(true);
    flow.leave();
    flow.leave();
    const next = batch.join();
    await expect(next.record(move('next'))).resolves.toBe(true);
    expect(store.calls).toEqual([['alone'], ['next']]);
  });
});
