import type { MiddlewareObj } from '@middy/core';
import type { LoggerPort } from '../ports/logger';
import type { SecretRefresh } from '../runtime/webhook-secrets';

/**
 * A middy middleware that asks the runtime to re-read its secrets before each invocation. The
 * runtime answers from cache until the secrets' max age, so this costs nothing most of the time.
 * Logs why (setting names only, never values) when a read failed: a throttled SSM should not fail
 * a webhook the old secret still verifies, so the secrets read before stay in use (the webhook's for
 * one more max age at most), except a webhook secret gone or invalid, whose source now answers 503.
 */
export function refreshSecrets(
  runtime: { refreshSecrets(): Promise<SecretRefresh | undefined> },
  logger: LoggerPort,
): MiddlewareObj {
  const warn = (extra: Record<string, unknown>): void =>
    logger.warn('could not read the secrets again; using the ones read before', extra);
  const refreshSecretsBefore = async (): Promise<void> => {
    try {
      const refresh = await runtime.refreshSecrets();
      if (refresh?.closed.length)
        logger.error('webhook secrets gone or invalid: their sources answer 503 until fixed', {
          problems: refresh.closed,
        });
      if (refresh?.kept.length) warn({ problems: refresh.kept });
    } catch (error) {
      warn({ error: error instanceof Error ? error.message : String(error) });
    }
  };
  return { before: refreshSecretsBefore };
}
