import { readFileSync } from 'node:fs';
import { createAgentClient, createCoreApi } from '../../shared/cluster';
import { parseConfig, readCompiledConfig, type PitcrewConfig } from '../../shared/config';
import { inParallel } from './stats';
import type { BenchSystem } from './system';

/** The config `pitcrew dev` wrote for the bench (compiled, as packaged), read as the functions read it. */
export function benchConfig(system: BenchSystem): PitcrewConfig {
  const file = system.dev.info.configFile;
  const text = readFileSync(file, 'utf8');
  return readCompiledConfig(text, file) ?? parseConfig(text, file);
}

/** Pitcrew's own Kubernetes client, as the functions build it: the "same client" of the raw calls. */
export function pitcrewAgentClient(system: BenchSystem) {
  const config = benchConfig(system);
  return createAgentClient(createCoreApi(system.kubeConfig, config.cluster));
}

/** Queues `count` builds with the provisioners paused, so they are let through all at once. */
export async function queueBurst(
  system: BenchSystem,
  prefix: string,
  labels: string[],
  count: number,
): Promise<string[]> {
  await system.dev.provisioning.pause();
  const ids = await inParallel(
    Array.from({ length: count }, (_, index) => `${prefix}-${index}`),
    20,
    async (id) => {
      const { status, requestId } = await system.sendGeneric(id, labels);
      if (status !== 202 || !requestId) throw new Error(`webhook for ${id} answered ${status}`);
      return requestId;
    },
  );
  return ids;
}

/** Cancels requests through the ops function (pod deleted, slot freed), so later measures start clean. */
export async function cancelAll(system: BenchSystem, requestIds: readonly string[]): Promise<void> {
  await inParallel(requestIds, 10, async (requestId) => {
    await system.dev.handlers.ops({ action: 'cancel', requestId, confirm: true }, {}).catch(() => undefined);
  });
}
