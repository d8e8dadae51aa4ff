import * as v from '../schema/valibot';
import { CiRejectedError } from './errors';

/**
 * How a CI's API adapter refuses a success whose body is not what the CI's docs describe (an apiUrl
 * that points at a web page): it names the status and the first bad field, never the body, which may
 * hold a secret (a token, a JIT config). `hint` says what the operator should check.
 */
export const unexpectedBodyOf =
  (ci: string, hint: string) =>
  (purpose: string, status: number, issues: readonly v.BaseIssue<unknown>[]): CiRejectedError => {
    const field = (issues[0] && v.issuePath(issues[0])) || 'body';
    return new CiRejectedError(
      `${ci} answered ${status} when asked to ${purpose}, but without a valid ${field}: ${hint}`,
      status,
    );
  };
