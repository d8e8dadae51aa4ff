import { createAgentClient } from '../../shared/cluster';
import { loadConfigFile, type SecretRef } from '../../shared/config';
import { silentLogger } from '../../shared/ports/logger';
import { createSqsProvisionQueue } from '../../shared/queue';
import type { ProvisionPorts } from '../../shared/provision';
import type { ReapPorts } from '../../shared/reap';
import { createGenericSource } from '../../shared/sources/generic';
import { createGithubSource } from '../../shared/sources/github';
import { createJenkinsSource } from '../../shared/sources/jenkins';
import {
  createCapacityStore,
  createLeaseStore,
  createRequestStore,
  createOperatorSettingsStore,
} from '../../shared/state';
import { createSourceRegistry } from './api-modules';
import type { ProvisioningSystem } from './provisioning';

/** A secret of a test system's config, which provisioning.ts writes inline (`{ value }`). */
function inlineSecret(ref: SecretRef | undefined, where: string): string {
  if (ref && 'value' in ref) return ref.value;
  throw new Error(`${where} is not written inline in the test config`);
}

/** The provision function's ports over one test system, with the same adapters its handler builds. */
export function provisionPortsFor(system: ProvisioningSystem): ProvisionPorts {
  const config = loadConfigFile(system.configFile);
  const table = system.resources.tableName;
  const githubAuth = config.sources.github?.auth;
  return {
    config: { ...config, namespace: config.cluster.namespace },
    sources: {
      // Every other CI the config has, as the function builds it (a reaper run refuses to decide
      // without an adapter for each CI its templates serve).
      ...createSourceRegistry(config.sources, (ref, where) => inlineSecret(ref, where)),
      github: {
        adapter: createGithubSource({
          apiUrl: system.github.url,
          auth: {
            kind: 'token',
            token: inlineSecret(
              githubAuth && 'token' in githubAuth ? githubAuth.token : undefined,
              'github token',
            ),
          },
        }),
      },
      jenkins: {
        adapter: createJenkinsSource({
          url: system.jenkins.url,
          user: 'pitcrew',
          apiToken: inlineSecret(config.sources.jenkins?.apiToken, 'jenkins apiToken'),
        }),
      },
      generic: { adapter: createGenericSource() },
    },
    requests: createRequestStore(system.db, table),
    capacity: createCapacityStore(system.db, table),
    settings: createOperatorSettingsStore(system.db, table),
    agents: createAgentClient(system.core),
    queue: createSqsProvisionQueue(system.sqs, system.resources.queueUrl),
    logger: silentLogger,
    // An attempt that dies holds its request this long: SQS brings its message back sooner in tests
    // than on AWS (1 s, not 6 x the function timeout), so the next attempt need not wait 30 s.
    attemptSeconds: 1,
  };
}

/** The reap function's ports over one test system, with the same adapters as provisionPortsFor. */
export function reapPortsFor(system: ProvisioningSystem): ReapPorts {
  const provision = provisionPortsFor(system);
  return {
    config: { ...provision.config, reaper: loadConfigFile(system.configFile).reaper },
    sources: provision.sources,
    requests: createRequestStore(system.db, system.resources.tableName),
    capacity: createCapacityStore(system.db, system.resources.tableName),
    settings: provision.settings,
    leases: createLeaseStore(system.db, system.resources.tableName),
    agents: createAgentClient(system.core),
    queue: createSqsProvisionQueue(system.sqs, system.resources.queueUrl),
    logger: silentLogger,
    now: () => new Date(),
  };
}
