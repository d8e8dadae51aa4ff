import { ApiException } from '@kubernetes/client-node';
import {
  ClusterRejectedError,
  ClusterUnavailableError,
  translateClusterError,
} from '../../../shared/cluster';

const apiError = (code: number, message: string) =>
  new ApiException(code, 'HTTP error', JSON.stringify({ kind: 'Status', message }), {});

describe('translateClusterError', () => {
  it.each([
    [429, 'too many requests'],
    [503, 'unavailable'],
    [401, 'Unauthorized'],
    [
      403,
      'pods "x" is forbidden: exceeded quota: agents, requested: pods=1, used: pods=10, limited: pods=10',
    ],
  ])('%s (%s) is transient', (code, message) => {
    expect(translateClusterError(apiError(code, message), 'creating pod')).toBeInstanceOf(
      ClusterUnavailableError,
    );
  });

  it.each([
    [422, 'Pod "x" is invalid: spec.containers[0].image: Required value'],
    [403, 'pods "x" is forbidden: violates PodSecurity "restricted:latest": privileged'],
    [400, 'bad request'],
  ])('%s (%s) is permanent and keeps the API server message', (code, message) => {
    const error = translateClusterError(apiError(code, message), 'creating pod');
    expect(error).toBeInstanceOf(ClusterRejectedError);
    expect(error.message).toContain(message);
  });

  it('a network failure is transient', () => {
    expect(
      translateClusterError(new Error('connect ECONNREFUSED 127.0.0.1:6443'), 'listing pods'),
    ).toBeInstanceOf(ClusterUnavailableError);
  });
});
