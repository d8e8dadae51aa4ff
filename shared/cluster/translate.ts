import { ClusterRejectedError, ClusterUnavailableError, type ClusterError } from './errors';
import { messageOf } from '../message-of';

/** The part of a Kubernetes Status object we read: https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/ */
interface KubeStatus {
  message?: string;
  reason?: string;
}

function statusOf(body: unknown): KubeStatus {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as KubeStatus;
    } catch {
      return { message: body.slice(0, 500) };
    }
  }
  return (body ?? {}) as KubeStatus;
}

/**
 * Sorts a failed Kubernetes call into "try again" or "do not": 408, 429, 5xx, network errors and a
 * full ResourceQuota (403 "exceeded quota": room comes back as pods end) are transient; so is 401,
 * which reaches here only after the call was retried with a freshly read token (client.ts,
 * bearer-api.ts), so
 * the secret may be mid-rotation. 400, 403, 404 and 422 (an invalid or forbidden pod spec) are
 * permanent and carry the API server's message, which names the field.
 */
export function translateClusterError(error: unknown, action: string): ClusterError {
  if (isApiError(error)) {
    const code = error.code;
    const status = statusOf(error.body);
    const detail = status.message ?? status.reason ?? `HTTP ${code}`;
    const quotaFull = code === 403 && /exceeded quota/i.test(detail);
    if (code === 401 || code === 408 || code === 429 || code >= 500 || quotaFull) {
      return new ClusterUnavailableError(`${action} failed (${code}): ${detail}`, code, { cause: error });
    }
    return new ClusterRejectedError(`${action} was refused (${code}): ${detail}`, code, { cause: error });
  }
  const message = messageOf(error);
  return new ClusterUnavailableError(`${action} failed: ${message}`, undefined, { cause: error });
}

/**
 * An HTTP answer from the API server, as either client rejects with it: client-node's ApiException or
 * bearer-api.ts's KubeApiError, both an HTTP status as `code` and the answer as `body`. Read by shape
 * so that this module does not load client-node (a network error's `code` is a string: ECONNRESET).
 */
function isApiError(error: unknown): error is { code: number; body: unknown } {
  if (typeof error !== 'object' || error === null || !('code' in error) || !('body' in error)) return false;
  const { code } = error as { code: unknown };
  return typeof code === 'number' && code >= 100 && code <= 599;
}

export const isAlreadyExists = (error: unknown): boolean => isApiError(error) && error.code === 409;
export const isNotFound = (error: unknown): boolean => isApiError(error) && error.code === 404;
