/** Sending to or reading from SQS failed; the caller should answer "retry later" (5xx, or a failed batch item). */
export class QueueUnavailableError extends Error {
  readonly retryable = true;

  constructor(operation: string, options: { cause: unknown }) {
    super(`SQS ${operation} failed; try again`, options);
    this.name = 'QueueUnavailableError';
  }
}
