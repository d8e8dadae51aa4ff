/** Base of what the Kubernetes adapter throws; `retryable` decides between an SQS retry and `failed`. */
export class ClusterError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The API server is unreachable, slow, throttling (429) or failing (5xx), or our token expired. */
export class ClusterUnavailableError extends ClusterError {
  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, true, status, options);
  }
}

/** The API server refused the object for good (invalid spec, forbidden by policy): fix the template. */
export class ClusterRejectedError extends ClusterError {
  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, false, status, options);
  }
}
