import type { ProvisionMessage } from '../queue/messages';

/**
 * The provision queue: where a request id goes so the provision function takes it up. Adapters: SQS
 * (shared/queue/provision-queue.ts), in memory (shared/queue/memory.ts); both are held to
 * test/contracts/provision-queue.ts.
 */
export interface ProvisionQueue {
  /**
   * Enqueues one message for the provision function: the request id, and a snapshot of the record
   * when the request was just created (shared/queue/messages.ts; the record in the table is the
   * truth). Resolves once the queue has it. Throws `QueueUnavailableError` when the queue cannot be
   * reached or refuses the message; the message may or may not have been taken then. With
   * `delaySeconds` (at most 900, SQS's limit), the message is held back that long first.
   */
  send(message: ProvisionMessage, options?: { readonly delaySeconds?: number }): Promise<void>;

  /**
   * How many messages the queue holds, as approximate as SQS says: ready to be received, received and
   * in flight, sent with a delay not yet passed. Throws `QueueUnavailableError` when it cannot tell.
   */
  depth(): Promise<QueueDepthReading>;
}

/** What `ProvisionQueue.depth` reads. */
export interface QueueDepthReading {
  /** Ready to be received. */
  readonly visible: number;
  /** Received and being worked on (within their visibility timeout). */
  readonly inFlight: number;
  /** Sent with a delay that has not passed yet. */
  readonly delayed: number;
}
