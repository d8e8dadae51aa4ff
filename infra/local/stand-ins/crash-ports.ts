import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger, type LoggerPort } from '../../../shared/ports/logger';
import { provisionRequest, type ProvisionPorts } from '../../../shared/provision';
import { queueLimits, readProvisionMessage } from '../../../shared/queue';
import type { ReapPorts } from '../../../shared/reap';
import type { CiSourceAdapter, ConfiguredSource, SourceRegistry } from '../../../shared/sources/types';
import { createProvisionPorts, type Runtime } from '../../../shared/runtime';

/**
 * Where a provision attempt dies (the Lambda is killed: a timeout, an out-of-memory, a lost host),
 * each right after that step succeeded against the real server.
 */
export const crashPoints = ['after-reserve', 'after-credentials', 'after-pod', 'after-secret'] as const;
export type CrashPoint = (typeof crashPoints)[number];

/**
 * The provision function's ports over a runtime (`createRuntime('provision', env, ciSide)`), built as
 * functions/provision/handler.ts builds them: another "container" of the same function whose attempts
 * a test can wrap.
 */
export function provisionPortsOver(
  runtime: Runtime,
  logger: LoggerPort = silentLogger,
  attemptSeconds?: number,
): ProvisionPorts {
  const ports = createProvisionPorts(runtime, logger);
  return attemptSeconds === undefined ? ports : { ...ports, attemptSeconds };
}

const never = (): Promise<never> => new Promise<never>(() => undefined);

/**
 * Wraps real ports so the attempt dies at `point`: that step completes on the real server, and from
 * then on nothing of the attempt runs again (every port call hangs, as in a process that is gone), so
 * no error handler of the attempt gets to tidy up. `crashed` resolves when the attempt has died.
 * Without a point, it dies only when `kill()` is called (its container died, or timed out), wherever
 * it is then.
 */
export function crashingPorts(
  real: ProvisionPorts,
  point?: CrashPoint,
): { ports: ProvisionPorts; crashed: Promise<void>; kill(): void; isDead(): boolean } {
  let dead = false;
  let markCrashed: () => void = () => undefined;
  const crashed = new Promise<void>((resolve) => {
    markCrashed = resolve;
  });

  function wrap<T extends object>(target: T, ...crashAfter: string[]): T {
    return new Proxy(target, {
      get(object, key, receiver) {
        const value = Reflect.get(object, key, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          if (dead) return never();
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(object, args);
          // A reservation that took no slot is no step done; a snapshot's (`reserveFresh`) answers true.
          const succeeded =
            key === 'reserve'
              ? (result as { reserved?: boolean } | undefined)?.reserved === true
              : key !== 'reserveFresh' || result === true;
          if (dead) return never();
          if (typeof key === 'string' && crashAfter.includes(key) && succeeded) {
            dead = true;
            markCrashed();
            return never();
          }
          return result;
        };
      },
    });
  }

  const sources = readThrough(real.sources, (adapter) =>
    wrap(adapter, ...(point === 'after-credentials' ? ['createAgentCredentials'] : [])),
  );
  const ports: ProvisionPorts = {
    ...real,
    sources,
    requests: wrap(real.requests),
    capacity: wrap(real.capacity, ...(point === 'after-reserve' ? ['reserve', 'reserveFresh'] : [])),
    settings: wrap(real.settings),
    agents: wrap(
      real.agents,
      ...(point === 'after-pod' ? ['createPod'] : point === 'after-secret' ? ['putSecret'] : []),
    ),
    queue: wrap(real.queue),
    logger: {
      info: (...args) => (dead ? undefined : real.logger.info(...args)),
      warn: (...args) => (dead ? undefined : real.logger.warn(...args)),
      error: (...args) => (dead ? undefined : real.logger.error(...args)),
    },
  };
  return {
    ports,
    crashed,
    kill() {
      dead = true;
      markCrashed();
    },
    isDead: () => dead,
  };
}

/** The reaper's calls that change something; everything else it does is a read. */
const reaperActions: Readonly<Record<string, readonly string[]>> = {
  agents: ['deletePod'],
  capacity: ['release', 'repairCounter', 'noteCounterDrift'],
  requests: ['transition', 'createIfAbsent'],
  sources: ['deregisterAgent', 'isAgentBusy'],
  queue: ['send'],
};

export interface FreezingReaper {
  readonly ports: ReapPorts;
  /** The next run freezes at its first action, after it has read and decided. */
  arm(): void;
  /** Resolves when an armed run froze. */
  readonly frozen: Promise<void>;
  /** Lets the frozen run go on, acting on what it read before it froze. */
  thaw(): void;
  /** Actions the run took after it was thawed (each on what it had read before freezing). */
  actionsAfterThaw(): number;
}

/**
 * Wraps real reaper ports so that one run, once armed, stops right before its first action (a
 * container frozen between its reads and its writes, as Lambda freezes an idle or throttled
 * sandbox), and goes on when thawed, with what it read before: the stale decisions a reaper that
 * outlived its lease acts on.
 */
export function freezingReapPorts(real: ReapPorts): FreezingReaper {
  let armed = false;
  let thawed = false;
  let after = 0;
  let markFrozen: () => void = () => undefined;
  let markThawed: () => void = () => undefined;
  const frozen = new Promise<void>((resolve) => (markFrozen = resolve));
  const thawing = new Promise<void>((resolve) => (markThawed = resolve));

  function wrap<T extends object>(target: T, actions: readonly string[]): T {
    return new Proxy(target, {
      get(object, key, receiver) {
        const value = Reflect.get(object, key, receiver) as unknown;
        if (typeof value !== 'function' || !actions.includes(String(key))) return value;
        return async (...args: unknown[]) => {
          if (armed && !thawed) {
            armed = false;
            markFrozen();
            await thawing;
          }
          if (thawed) after += 1;
          return (value as (...a: unknown[]) => Promise<unknown>).apply(object, args);
        };
      },
    });
  }

  const sources = readThrough(real.sources, (adapter) => wrap(adapter, reaperActions.sources!));
  const ports: ReapPorts = {
    ...real,
    sources,
    agents: wrap(real.agents, reaperActions.agents!),
    capacity: wrap(real.capacity, reaperActions.capacity!),
    requests: wrap(real.requests, reaperActions.requests!),
    queue: wrap(real.queue, reaperActions.queue!),
  };
  return {
    ports,
    arm() {
      armed = true;
    },
    frozen,
    thaw() {
      thawed = true;
      markThawed();
    },
    actionsAfterThaw: () => after,
  };
}

export interface DyingContainerOptions {
  /** The queue, as the container's event source mapping receives it. */
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /**
   * Its attempts' ports: `killable` hold a request for `timeoutMs` at most (ProvisionPorts
   * attemptSeconds), `lastDelivery` are the handler's own, for a batch holding a message's last delivery.
   */
  readonly ports: { readonly killable: ProvisionPorts; readonly lastDelivery: ProvisionPorts };
  /** The function's timeout: a batch still running then dies. Shorter than the visibility timeout. */
  readonly timeoutMs: number;
  /**
   * The crash point of a batch of these requests, if it is to die at one (never asked for a batch
   * holding a last delivery).
   */
  crashPointFor(requestIds: readonly string[]): Promise<CrashPoint | undefined>;
  isRunning(): boolean;
  /** What became of each batch: done, or dead at its crash point or at the timeout. */
  onBatch(batch: {
    readonly size: number;
    readonly point?: CrashPoint;
    readonly outcome: 'finished' | 'crashed' | 'timeout';
    readonly failed: number;
  }): void;
}

/**
 * A provision "container" that dies now and then, beside the real handler's: it receives batches as
 * the event source mapping does and runs one attempt per message like the handler (the successes
 * deleted, the failures left for SQS), but a batch given a crash point dies as soon as the first of
 * its attempts gets past that step (crashingPorts), and the container with it: nothing of the batch
 * is deleted and every other attempt stops where it is. A batch still running after `timeoutMs` dies
 * too (the function's timeout, which its attempts' hold on their requests does not outlast, as on
 * AWS). A batch holding a message's last delivery neither crashes nor times out: that corner (the
 * message goes to the DLQ) is reliability/crash-points' "message lost".
 */
export async function runDyingContainer(options: DyingContainerOptions): Promise<void> {
  // When the storm is over, a batch still waiting on an attempt is given up (its container stops).
  const stopped = (async () => {
    while (options.isRunning()) await sleep(200);
    return 'stopped' as const;
  })();
  while (options.isRunning()) {
    const { Messages = [] } = await options.sqs
      .send(
        new ReceiveMessageCommand({
          QueueUrl: options.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['All'],
        }),
      )
      .catch(() => ({ Messages: [] as Message[] }));
    if (Messages.length === 0) continue;
    const isLast = (message: Message): boolean =>
      Number(message.Attributes?.ApproximateReceiveCount ?? 1) >= queueLimits.queueMaxReceiveCount;
    const anyLast = Messages.some(isLast);
    const messages = Messages.map((message) => readProvisionMessage(message.Body));
    const requestIds = messages.map((message) => message?.requestId);
    const point = anyLast
      ? undefined
      : await options.crashPointFor(requestIds.filter((id) => id !== undefined));
    const attempts = Messages.map((message, index) => {
      const requestId = requestIds[index];
      const wrapped = crashingPorts(anyLast ? options.ports.lastDelivery : options.ports.killable, point);
      const run: Promise<boolean> = requestId
        ? provisionRequest(requestId, wrapped.ports, isLast(message), {
            snapshot: messages[index]?.snapshot,
          }).then(
            () => true,
            () => false,
          )
        : Promise.resolve(true);
      return { message, wrapped, run };
    });
    const finished = Promise.all(attempts.map((attempt) => attempt.run));
    const outcome = await Promise.race([
      finished.then(() => 'finished' as const),
      Promise.race(attempts.map((attempt) => attempt.wrapped.crashed)).then(() => 'crashed' as const),
      anyLast ? stopped : sleep(options.timeoutMs).then(() => 'timeout' as const),
    ]);
    if (outcome === 'stopped') {
      for (const attempt of attempts) attempt.wrapped.kill();
      return;
    }
    if (outcome !== 'finished') {
      for (const attempt of attempts) attempt.wrapped.kill();
      options.onBatch({ size: Messages.length, ...(point ? { point } : {}), outcome, failed: 0 });
      continue;
    }
    const succeeded = await finished;
    options.onBatch({
      size: Messages.length,
      ...(point ? { point } : {}),
      outcome,
      failed: succeeded.filter((ok) => !ok).length,
    });
    const done = attempts.filter((_, index) => succeeded[index]);
    if (done.length > 0)
      await options.sqs
        .send(
          new DeleteMessageBatchCommand({
            QueueUrl: options.queueUrl,
            Entries: done.map((attempt, index) => ({
              Id: String(index),
              ReceiptHandle: attempt.message.ReceiptHandle,
            })),
          }),
        )
        .catch(() => undefined);
  }
}

/**
 * `registry` with each adapter wrapped as it is read, not copied: the function's registry is filled
 * after cold start, when its `loadSources` first builds a CI's adapter (shared/runtime/api-sources.ts),
 * so a copy made now would stay empty.
 */
function readThrough(
  registry: SourceRegistry,
  wrapAdapter: (adapter: CiSourceAdapter) => CiSourceAdapter,
): SourceRegistry {
  return new Proxy(registry, {
    get(target, name, receiver) {
      const configured = Reflect.get(target, name, receiver) as ConfiguredSource | undefined;
      return configured && { ...configured, adapter: wrapAdapter(configured.adapter) };
    },
  });
}
