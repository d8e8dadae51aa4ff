/** Errors of the local real-server harness. Each says what to do next. */
export class HarnessError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A tool the harness needs (java, mvn, go, openssl) is not on PATH. */
export class MissingToolError extends HarnessError {
  constructor(
    readonly tool: string,
    readonly hint: string,
  ) {
    super(`'${tool}' was not found on PATH: ${hint}`);
  }
}

/** A server exited or never became ready; `logFile` holds its output. */
export class ServerStartError extends HarnessError {
  constructor(
    readonly server: string,
    readonly logFile: string,
    detail: string,
  ) {
    super(`${server} did not start: ${detail}. Its output is in ${logFile}`);
  }
}

/** Building or resolving a server failed. */
export class BuildError extends HarnessError {
  constructor(
    readonly what: string,
    readonly logFile: string,
    options?: { cause?: unknown },
  ) {
    super(`building ${what} failed; the build output is in ${logFile}`, options);
  }
}
