import type { MoveResult, RequestStore, TransitionMove } from '../ports/request-store';
import { StateUnavailableError } from '../state/errors';

/** How one message's flow records its agent's pod: the move, answered whether it applied. */
export type PodRecorder = (move: TransitionMove) => Promise<boolean>;

/** One message's part in a batch's recording: its recorder, and `leave` once its flow has ended. */
export interface RecordingFlow {
  readonly record: PodRecorder;
  leave(): void;
}

export interface RecordBatch {
  /** A flow joining the batch: every flow joins before any records (they start together). */
  join(): RecordingFlow;
}

/**
 * How long the first recorded pod waits for the batch's other flows: their pods and Secrets may take
 * a while on a busy API server, and a slow CI call holds the others' records up no longer than this.
 */
export const recordBatchWaitMs = 250;

/**
 * The pods of one SQS batch recorded together: each flow's record-pod move waits until every flow
 * still running has recorded too (or left without: skipped, waiting, failed), or `waitMs` after the
 * first (the invocation waits for its slowest flow anyway, so this costs it nothing), then all go in
 * one `transitionAll`: one TransactWriteItems in DynamoDB where each pod was an UpdateItem, about a
 * third of the function's own CPU per pod in a burst (docs/performance.md). A move's outcome is its
 * own: a failed condition answers false to that flow only, an error rejects that flow's recorder
 * only, as `transition` would have. The pods exist already: waiting delays their records by
 * milliseconds, never an agent.
 */
export function createRecordBatch(
  requests: Pick<RequestStore, 'transitionAll'>,
  waitMs: number = recordBatchWaitMs,
): RecordBatch {
  /** Flows that have joined and neither recorded nor left. */
  let running = 0;
  let pending: {
    readonly move: TransitionMove;
    readonly settle: (result: MoveResult) => void;
    readonly fail: (error: unknown) => void;
  }[] = [];
  let timer: NodeJS.Timeout | undefined;

  function flush(): void {
    clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    // Through a promise, so even a store throwing at once settles every flow waiting on this call.
    Promise.resolve()
      .then(() => requests.transitionAll(batch.map((entry) => entry.move)))
      .then(
        (results) =>
          batch.forEach((entry, index) =>
            entry.settle(
              results[index] ?? {
                kind: 'failed',
                // Retryable, as the port's own failures: the move may have applied, and the next
                // attempt adopts the pod rather than removing it.
                error: new StateUnavailableError('TransactWriteItems', {
                  cause: new Error('no answer for a move'),
                }),
              },
            ),
          ),
        (error: unknown) => batch.forEach((entry) => entry.fail(error)),
      );
  }

  /** No flow is left that might still record: go now. Otherwise wait, a little. */
  function flushWhenReady(): void {
    if (pending.length === 0) return;
    if (running === 0) flush();
    else timer ??= setTimeout(flush, waitMs);
  }

  return {
    join() {
      running += 1;
      let counted = true;
      const stop = (): void => {
        if (!counted) return;
        counted = false;
        running -= 1;
      };
      return {
        record(move) {
          const answer = new Promise<boolean>((resolve, reject) =>
            pending.push({
              move,
              settle: (result) =>
                result.kind === 'failed' ? reject(result.error) : resolve(result.kind === 'moved'),
              fail: reject,
            }),
          );
          // A flow that has recorded is no longer one to wait for (it waits on its answer).
          stop();
          flushWhenReady();
          return answer;
        },
        leave() {
          stop();
          flushWhenReady();
        },
      };
    },
  };
}
