import type { MiddlewareObj } from '@middy/core';
import type { LoggerPort } from '../ports/logger';
import { messageOf } from '../message-of';

/**
 * A middy middleware that asks the runtime to re-read its secrets before each invocation. The
 * runtime answers from cache until the secrets' max age, so this costs nothing most of the time. A
 * failed read keeps the secrets read before and logs why (setting names only, never values): a
 * throttled SSM should not fail a build the old token still serves. The webhook's, which also closes a
 * source whose secret is gone, is ./refresh-webhook-secrets.ts.
 */
export function refreshSecrets(
  runtime: { refreshSecrets(): Promise<unknown> },
  logger: LoggerPort,
): MiddlewareObj {
  const refreshSecretsBefore = async (): Promise<void> => {
    try {
      await runtime.refreshSecrets();
    } catch (error) {
      logger.warn('could not read the secrets again; using the ones read before', {
        error: messageOf(error),
      });
    }
  };
  return { before: refreshSecretsBefore };
}
