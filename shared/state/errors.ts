/** A DynamoDB call failed for a reason the caller cannot decide around (throttling, network, 5xx). */
export class StateUnavailableError extends Error {
  readonly retryable = true;

  constructor(operation: string, options: { cause: unknown }) {
    // AWS error messages name the problem (throttling, validation) and never hold item values.
    super(`DynamoDB ${operation} failed (${describe(options.cause)}); try again`, options);
    this.name = 'StateUnavailableError';
  }
}

const describe = (cause: unknown): string =>
  cause instanceof Error
    ? `${cause.name}: ${cause.message}`
    : cause === undefined
      ? 'no cause'
      : String(cause);
