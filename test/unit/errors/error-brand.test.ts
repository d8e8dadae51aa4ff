import { jest } from '@jest/globals';
import * as provision from '../../../shared/provision/errors';
import * as sources from '../../../shared/sources/errors';
import { failureKindOf } from '../../../shared/provision/failure-kind';

/**
 * A CI's error classes are one class across copies of their module (shared/error-brand.ts): a module
 * loaded on first use may get copies of its own where a loader keeps more than one registry, as jest
 * does after a fresh cold start (test/support/handlers.ts), and must still tell a busy agent from a
 * CI that failed, and a transient error from a permanent one.
 */
describe("a CI's error classes, and RetryLaterError", () => {
  it('hold instanceof across copies of their module, for each class and its parents', async () => {
    jest.resetModules();
    const copy = await import('../../../shared/sources/errors');
    // A copy indeed: another class object of the same name.
    expect(copy.CiError).not.toBe(sources.CiError);
    const busy = new copy.CiAgentBusyError('busy');
    expect(busy instanceof sources.CiAgentBusyError).toBe(true);
    expect(busy instanceof sources.CiRejectedError).toBe(true);
    expect(busy instanceof sources.CiError).toBe(true);
    expect(busy instanceof sources.CiUnavailableError).toBe(false);
    const later = new (await import('../../../shared/provision/errors')).RetryLaterError('later');
    expect(later instanceof provision.RetryLaterError).toBe(true);
    const down = new copy.CiUnavailableError('down', 30);
    expect(down instanceof sources.CiUnavailableError).toBe(true);
    expect(down instanceof sources.CiRejectedError).toBe(false);
  });

  it('are no instance of anything not theirs, and are Errors', () => {
    expect(new Error('x') instanceof sources.CiError).toBe(false);
    expect(new sources.CiError('x', true) instanceof sources.CiUnavailableError).toBe(false);
    for (const value of [undefined, null, { constructor: { brand: 'pitcrew.CiError' } }])
      expect(value instanceof sources.CiError).toBe(false);
    expect(new sources.CiUnavailableError('x') instanceof Error).toBe(true);
  });

  it('go by the prototype chain: a plain object naming a class as its constructor is none of it', () => {
    const forged = { constructor: sources.CiUnavailableError, retryable: true, message: 'not an error' };
    expect(forged instanceof sources.CiError).toBe(false);
    expect(failureKindOf(forged)).toEqual({ retryable: false });
    const error = Object.create(sources.CiRejectedError.prototype) as object;
    Object.defineProperty(error, 'constructor', { value: Error });
    expect(error instanceof sources.CiError).toBe(true);
  });
});
