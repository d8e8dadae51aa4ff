import { messageOf } from '../message-of';
import { CiError } from '../sources/errors';
import type { CiSource } from '../sources/names';
import type { CiSourceAdapter } from '../sources/types';
import type { ProvisionPorts } from './types';

/**
 * The API adapter of `source`, built first if this container has not built it yet (a cold start
 * builds none: shared/runtime/api-sources.ts); undefined for a CI the config does not configure. An
 * adapter that cannot be built (a GitHub App key that is not a private key) is a CI error that may
 * heal: the operator's fixed secret is read at the next refresh, and SQS delivers the message again
 * until its last delivery fails the build, saying why. So is a configured CI whose adapter the
 * registry still lacks (ports that read a copy of it): never taken for a CI the config dropped.
 */
export async function adapterOf(
  ports: Pick<ProvisionPorts, 'sources' | 'loadSources' | 'config'>,
  source: CiSource,
): Promise<CiSourceAdapter | undefined> {
  try {
    await ports.loadSources?.([source]);
  } catch (error) {
    // Whatever the build threw, even a CI error that says it is for good: no CI answered, and the
    // setting it failed over may be mended.
    throw new CiError(`the ${source} adapter cannot be built: ${messageOf(error)}`, true, {
      cause: error,
    });
  }
  const adapter = ports.sources[source]?.adapter;
  if (!adapter && ports.config.sources[source] !== undefined)
    throw new CiError(`the ${source} adapter was not built, though the config has ${source}`, true);
  return adapter;
}
