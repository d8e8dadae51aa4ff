import { ConfigError } from '../config/errors';

/**
 * A configured CI whose code the running bundle does not hold: `npm run package` builds only the
 * CIs of the config it packages (scripts/configured-sources.ts), so the config the function reads
 * names one that the packaged config did not.
 */
export function notInThisBuild(source: string): ConfigError {
  return new ConfigError([
    {
      setting: `sources.${source}`,
      problem: `is configured, but this function was packaged for a config without ${source}, so it holds no ${source} code: package again with this config (npm run package)`,
    },
  ]);
}
