import { CiError } from './errors';

/**
 * Each Lambda is bundled on its own, with its name in place of `process.env.PITCREW_BUNDLE`
 * (scripts/esbuild-options.ts), so that an adapter can leave out of a function's bundle the calls
 * that function never makes: the reaper never makes an agent. esbuild drops the code behind a test
 * of that name only when the test is written where it branches (a constant imported from here is
 * folded too late to drop what the other branch calls), so each adapter writes it out. Unbundled
 * (the tests, the CLI) it is unset, and every adapter has every call.
 */
export const makesNoAgents = (): Promise<never> =>
  Promise.reject(new CiError('the reap function makes no agents: its bundle leaves that code out', false));
