import { ApiException } from '@kubernetes/client-node';
import {
  ClusterRejectedError,
  ClusterUnavailableError,
  translateClusterError,
} from '../../../shared/cluster';
import { mayHaveApplied } from '../../../shared/cluster/translate';

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

describe('mayHaveApplied: whether a failed call may yet have been done by the API server', () => {
  const coded = (code: string): Error => Object.assign(new Error(code), { code });
  it.each([
    ['a 500', apiError(500, 'internal error'), true],
    ['a 502', apiError(502, 'bad gateway'), true],
    ['a 504', apiError(504, 'gateway timeout'), true],
    ['a dropped connection', coded('ECONNRESET'), true],
    ['a request timeout', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), true],
    ['a 429', apiError(429, 'too many requests'), false],
    ['a 503', apiError(503, 'unavailable'), false],
    ['a 401', apiError(401, 'Unauthorized'), false],
    ['a full quota (403)', apiError(403, 'exceeded quota: agents'), false],
    ['a refused pod (422)', apiError(422, 'Pod "x" is invalid'), false],
    ['a refused connection', coded('ECONNREFUSED'), false],
    ['an unknown host', coded('ENOTFOUND'), false],
    [
      'a connection that failed before it was up (bearer-api)',
      Object.assign(coded('ECONNRESET'), { unsent: true }),
      false,
    ],
    [
      'a refused connection, deep in fetch causes',
      new TypeError('fetch failed', { cause: coded('ECONNREFUSED') }),
      false,
    ],
  ])('%s: %s', (_name, error, applied) => {
    expect(mayHaveApplied(translateClusterError(error, 'creating pod'))).toBe(applied);
  });
});
