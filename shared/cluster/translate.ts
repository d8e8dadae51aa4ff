import { ApiException } from '@kubernetes/client-node';
import { ClusterRejectedError, ClusterUnavailableError, type ClusterError } from './errors';

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
 * Sorts a failed Kubernetes call into "try again" or "do not": 408, 429, 5xx, 401 (an expired token
 * is refreshed on the next attempt) and network errors are transient; 400, 403, 404 and 422 (an
 * invalid or forbidden pod spec) are permanent and carry the API server's message, which names the field.
 */
export function translateClusterError(error: unknown, action: string): ClusterError {
  if (error instanceof ApiException) {
    const code = error.code;
    const status = statusOf(error.body);
    const detail = status.message ?? status.reason ?? `HTTP ${code}`;
    if (code === 401 || code === 408 || code === 429 || code >= 500) {
      return new ClusterUnavailableError(`${action} failed (${code}): ${detail}`, code, { cause: error });
    }
    return new ClusterRejectedError(`${action} was refused (${code}): ${detail}`, code, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ClusterUnavailableError(`${action} failed: ${message}`, undefined, { cause: error });
}

export const isAlreadyExists = (error: unknown): boolean =>
  error instanceof ApiException && error.code === 409;
export const isNotFound = (error: unknown): boolean => error instanceof ApiException && error.code === 404;
