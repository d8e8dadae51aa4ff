/**
 * What an ops action answers when it cannot do what was asked. The handler lets these propagate, so
 * `serverless invoke` and the CLI see a failed invoke whose `errorType` is the class name below and
 * whose message says what to do.
 */
export class OpsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The event itself is wrong: `field` names the part to fix. Nothing was changed. */
export class OpsInputError extends OpsError {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`invalid ops event: '${field}' ${problem}`);
  }
}

/** The request (or other thing) the action names does not exist. Nothing was changed. */
export class OpsNotFoundError extends OpsError {}

/** The action does not apply to the thing in its current state (e.g. retrying a running build). */
export class OpsConflictError extends OpsError {}
