import type { LoggerPort } from '../ports/logger';
import { CiError } from './errors';

/**
 * Awaits an agent's deregistration at its CI. True when it is gone, or when the CI refused for good
 * (bad credentials, say: another try would be refused too, so it is logged and let go). False when
 * the CI failed for now (5xx, 429, unreachable): the caller then keeps what points at the agent (a
 * finished pod, an active request) so that the reaper's next run tries again.
 */
export async function deregisteredOrRefused(
  logger: LoggerPort,
  podName: string,
  deregistering: Promise<void>,
): Promise<boolean> {
  try {
    await deregistering;
    return true;
  } catch (error) {
    const retryable = error instanceof CiError && error.retryable;
    logger.warn(
      retryable
        ? 'could not deregister the agent; the next reaper run tries again'
        : 'could not deregister the agent; the CI may list it until it times out',
      { podName, error: String(error) },
    );
    return !retryable;
  }
}
