import { ConfigError } from '../config/errors';

/**
 * Configured CIs whose code the running bundle does not hold: `npm run package` builds only the
 * CIs of the config it packages (scripts/configured-sources.ts), so the config the function reads
 * names some that the packaged config did not. One error names them all.
 */
export function notInThisBuild(sources: readonly string[]): ConfigError {
  return new ConfigError(
    sources.map((source) => ({
      setting: `sources.${source}`,
      problem: `is configured, but this function was packaged for a config without ${source}, so it holds no ${source} code: package again with this config (npm run package)`,
    })),
  );
}
