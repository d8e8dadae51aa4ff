import type { MiddlewareObj } from '@middy/core';
import type { LoggerPort } from '../ports/logger';
import type { SecretRefresh } from '../runtime/webhook-secrets';
import { messageOf } from '../message-of';

/**
 * The webhook's `refreshSecrets` middleware (./refresh-secrets.ts), which also logs what the read
 * came to (shared/runtime/webhook-secrets.ts): a source whose secret is gone or invalid answers 503
 * until fixed, an error; a secret that could not be read now is used as read before, one more max age
 * at most, a warning. Setting names only, never values. Its own module: only the webhook loads it.
 */
export function refreshWebhookSecrets(
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
      warn({ error: messageOf(error) });
    }
  };
  return { before: refreshSecretsBefore };
}
