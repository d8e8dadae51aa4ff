/** A DynamoDB call failed for a reason the caller cannot decide around (throttling, network, 5xx). */
export class StateUnavailableError extends Error {
  readonly retryable = true;

  constructor(operation: string, options: { cause: unknown }) {
    super(`DynamoDB ${operation} failed; the item is retried`, options);
    this.name = 'StateUnavailableError';
  }
}
