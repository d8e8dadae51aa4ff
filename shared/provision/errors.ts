import { isInstance } from '../error-brand';

/** A provision attempt failed transiently; the SQS message is reported failed and delivered again. */
export class RetryLaterError extends Error {
  /** One class across copies of this module (../error-brand.ts): the failure step, which throws it, loads on first use. */
  static readonly brand: string = 'pitcrew.RetryLaterError';
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isInstance(this, value);
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryLaterError';
  }
}

/**
 * A pod with the request's name exists that Pitcrew did not make for this request (no Pitcrew labels
 * for it: templates/labels.ts `isPodMadeFor`). Permanent: it is never adopted, given no Secret and no
 * CI credentials, and left as it is; the request fails with this message.
 */
export class ForeignPodError extends Error {
  readonly retryable = false;

  constructor(
    readonly namespace: string,
    readonly podName: string,
  ) {
    super(
      `a pod named ${podName} exists that Pitcrew did not make for this request; it was left alone and given no credentials (remove it from ${namespace}, then pitcrew retry)`,
    );
    this.name = 'ForeignPodError';
  }
}
