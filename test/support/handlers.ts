import { jest } from '@jest/globals';
import { functionEnv } from './function-env';

export type AnyHandler = ((event: unknown, context: unknown) => Promise<unknown>) & { use?: unknown };

/**
 * Imports a function's handler module fresh (a new cold start) with `env` as its environment, which
 * is restored afterwards. Handlers read their settings at import, so this is how tests vary them.
 */
export async function importHandler(
  fn: string,
  env: Record<string, string | undefined> = functionEnv,
): Promise<{ handler: AnyHandler }> {
  jest.resetModules();
  const saved = { ...process.env };
  for (const key of Object.keys(functionEnv)) delete process.env[key];
  Object.assign(process.env, env);
  try {
    return (await import(`../../functions/${fn}/handler`)) as { handler: AnyHandler };
  } finally {
    process.env = saved;
    // Powertools' singleMetric() reads this at each call, not at import: the handler's choice stays,
    // as Lambda's environment never changes under a running function.
    if (env.POWERTOOLS_METRICS_DISABLED !== undefined)
      process.env.POWERTOOLS_METRICS_DISABLED = env.POWERTOOLS_METRICS_DISABLED;
  }
}
