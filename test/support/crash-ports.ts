import { createAgentClient } from '../../shared/cluster';
import { loadConfigFile } from '../../shared/config';
import { silentLogger } from '../../shared/ports/logger';
import type { ProvisionPorts } from '../../shared/provision';
import { createGenericSource } from '../../shared/sources/generic';
import { createGithubSource } from '../../shared/sources/github';
import { createJenkinsSource } from '../../shared/sources/jenkins';
import { createCapacityStore, createRequestStore, createSettingsStore } from '../../shared/state';
import { testSecrets, type ProvisioningSystem } from './provisioning';

/**
 * Where a provision attempt dies (the Lambda is killed: a timeout, an out-of-memory, a lost host),
 * each right after that step succeeded against the real server.
 */
export const crashPoints = ['after-reserve', 'after-credentials', 'after-pod', 'after-secret'] as const;
export type CrashPoint = (typeof crashPoints)[number];

/** The provision function's ports over one test system, with the same adapters its handler builds. */
export function provisionPortsFor(system: ProvisioningSystem): ProvisionPorts {
  const config = loadConfigFile(system.configFile);
  const table = system.resources.tableName;
  return {
    config: { ...config, namespace: config.cluster.namespace },
    sources: {
      github: {
        adapter: createGithubSource({
          apiUrl: system.github.url,
          auth: { kind: 'token', token: testSecrets.githubToken },
        }),
      },
      jenkins: {
        adapter: createJenkinsSource({
          url: system.jenkins.url,
          user: 'pitcrew',
          apiToken: testSecrets.jenkinsApiToken,
        }),
      },
      generic: { adapter: createGenericSource() },
    },
    requests: createRequestStore(system.db, table),
    capacity: createCapacityStore(system.db, table),
    settings: createSettingsStore(system.db, table),
    agents: createAgentClient(system.core),
    sqs: system.sqs,
    queueUrl: system.resources.queueUrl,
    logger: silentLogger,
    // An attempt that dies holds its request this long: SQS brings its message back sooner in tests
    // than on AWS (1 s, not 6 x the function timeout), so the next attempt need not wait 30 s.
    attemptSeconds: 1,
  };
}

const never = (): Promise<never> => new Promise<never>(() => undefined);

/**
 * Wraps real ports so the attempt dies at `point`: that step completes on the real server, and from
 * then on nothing of the attempt runs again (every port call hangs, as in a process that is gone), so
 * no error handler of the attempt gets to tidy up. `crashed` resolves when the attempt has died.
 */
export function crashingPorts(
  real: ProvisionPorts,
  point: CrashPoint,
): { ports: ProvisionPorts; crashed: Promise<void> } {
  let dead = false;
  let markCrashed: () => void = () => undefined;
  const crashed = new Promise<void>((resolve) => {
    markCrashed = resolve;
  });

  function wrap<T extends object>(target: T, crashAfter?: string): T {
    return new Proxy(target, {
      get(object, key, receiver) {
        const value = Reflect.get(object, key, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          if (dead) return never();
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(object, args);
          const succeeded =
            key !== 'reserve' || (result as { reserved?: boolean } | undefined)?.reserved === true;
          if (dead) return never();
          if (key === crashAfter && succeeded) {
            dead = true;
            markCrashed();
            return never();
          }
          return result;
        };
      },
    });
  }

  const sources = Object.fromEntries(
    Object.entries(real.sources).map(([name, configured]) => [
      name,
      configured && {
        ...configured,
        adapter: wrap(
          configured.adapter,
          point === 'after-credentials' ? 'createAgentCredentials' : undefined,
        ),
      },
    ]),
  );
  const ports: ProvisionPorts = {
    ...real,
    sources,
    requests: wrap(real.requests),
    capacity: wrap(real.capacity, point === 'after-reserve' ? 'reserve' : undefined),
    settings: wrap(real.settings),
    agents: wrap(
      real.agents,
      point === 'after-pod' ? 'createPod' : point === 'after-secret' ? 'putSecret' : undefined,
    ),
    logger: {
      info: (...args) => (dead ? undefined : real.logger.info(...args)),
      warn: (...args) => (dead ? undefined : real.logger.warn(...args)),
      error: (...args) => (dead ? undefined : real.logger.error(...args)),
    },
  };
  return { ports, crashed };
}
