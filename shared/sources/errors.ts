import { isInstance } from '../error-brand';

/** Base of the errors a CI adapter throws. `retryable` decides between an SQS retry and `failed`. */
export class CiError extends Error {
  /** One class across copies of this module (../error-brand.ts). */
  static readonly brand: string = 'pitcrew.CiError';
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isInstance(this, value);
  }

  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The CI is down, slow, rate-limiting or answered 5xx: try again later. */
export class CiUnavailableError extends CiError {
  static override readonly brand: string = 'pitcrew.CiUnavailableError';

  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, true, options);
  }
}

/** The CI refused for good (bad credentials, missing permission, unknown repository): do not retry. */
export class CiRejectedError extends CiError {
  static override readonly brand: string = 'pitcrew.CiRejectedError';

  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, false, options);
  }
}

/**
 * The CI says the agent runs a job now, so it was not deregistered (GitHub refuses to delete a busy
 * runner). A runner made for one job can take another of its repository or project: its pod is left
 * to finish that job, and goes when it ends (shared/sources/deregister.ts).
 */
export class CiAgentBusyError extends CiRejectedError {
  static override readonly brand: string = 'pitcrew.CiAgentBusyError';
}
