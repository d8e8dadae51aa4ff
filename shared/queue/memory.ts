import type { ProvisionQueue, QueueDepthReading } from '../ports/provision-queue';
import { QueueUnavailableError } from './errors';
import type { ProvisionMessage } from './messages';

/** The in-memory provision queue: what tests and stand-ins read back, and a way to make sends fail. */
export interface MemoryProvisionQueue extends ProvisionQueue {
  /** Every message taken, in order, as its request id (copies: a caller's later change does not show here). */
  readonly sent: readonly ProvisionMessage[];
  /** Every message taken, in order, whole: a new request's carries its snapshot (shared/queue/messages.ts). */
  readonly whole: readonly ProvisionMessage[];
  /** Each message's delay in seconds, in the order of `sent` (0 for none). */
  readonly delays: readonly number[];
  /** The request ids of `sent`, in order. */
  sentIds(): string[];
  /** The next `count` sends throw `QueueUnavailableError` and record nothing. */
  failNextSends(count: number): void;
  /** Makes every call throw `QueueUnavailableError` (true) or work again (false). */
  setUnavailable(unavailable: boolean): void;
  /** Forgets what was sent (as a receive of all of it would). */
  clear(): void;
}

/** Implements the provision queue port (shared/ports/provision-queue.ts) in memory. */
export function createMemoryProvisionQueue(): MemoryProvisionQueue {
  const sent: ProvisionMessage[] = [];
  const whole: ProvisionMessage[] = [];
  const delays: number[] = [];
  let failures = 0;
  let unavailable = false;
  const fail = (operation: string): QueueUnavailableError =>
    new QueueUnavailableError(operation, { cause: new Error('the in-memory queue was told to fail') });
  return {
    sent,
    whole,
    delays,
    sentIds: () => sent.map((message) => message.requestId),
    failNextSends: (count) => {
      failures = count;
    },
    setUnavailable: (value) => {
      unavailable = value;
    },
    clear: () => {
      sent.length = 0;
      whole.length = 0;
      delays.length = 0;
    },
    send: async (message, options) => {
      await Promise.resolve();
      if (unavailable) throw fail('SendMessage');
      if (failures > 0) {
        failures -= 1;
        throw fail('SendMessage');
      }
      sent.push({ requestId: message.requestId });
      whole.push(structuredClone(message));
      delays.push(options?.delaySeconds ?? 0);
    },
    depth: async (): Promise<QueueDepthReading> => {
      await Promise.resolve();
      if (unavailable) throw fail('GetQueueAttributes');
      // No clock here: a delayed message stays delayed until the queue is cleared.
      const delayed = delays.filter((delay) => delay > 0).length;
      return { visible: sent.length - delayed, inFlight: 0, delayed };
    },
  };
}
