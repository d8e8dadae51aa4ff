import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { localCiOf } from '../../infra/local/stand-ins/local-cis';
import type { StormCi, StormSystem } from '../../infra/local/stand-ins/storm';
import { createCapacityStore } from '../../shared/state';
import { adminKubeConfig } from './kube';
import { kitTemplates, type ProvisioningSystem } from './provisioning';

/**
 * The CI-size storm's set-up (storm.test.ts, storm-faults.test.ts): one template per CI at a cap of 6
 * (the harness's three, then every kit's), 12 in all, and the reaper's short graces.
 */
const stormTemplates: Record<string, unknown>[] = [
  { name: 'gh-linux', source: 'github', labels: ['self-hosted', 'linux', 'x64'], instanceCap: 6 },
  { name: 'jk-linux', source: 'jenkins', labels: ['linux'], instanceCap: 6 },
  { name: 'gen-linux', source: 'generic', labels: ['linux'], image: 'busybox:1.36', instanceCap: 6 },
  // Every other registered CI, from its local kit: the mix has one source per CI.
  ...kitTemplates(6),
];
export const ciSizeStorm = {
  caps: {
    global: 12,
    templates: Object.fromEntries(stormTemplates.map((template) => [String(template.name), 6])),
  },
  system: {
    globalCap: 12,
    templates: stormTemplates,
    // As the faulted storm's: above what one batch takes to handle on a loaded 2-core machine. At 1 s,
    // a message's last delivery still being handled when it came back was received a sixth time and
    // went to the dead-letter queue, which production's 180 s against a 30 s function never allows.
    visibilityTimeoutSeconds: 3,
    reaper: { orphanGraceSeconds: 10, stuckGraceSeconds: 60, lostGraceSeconds: 10, staleQueuedSeconds: 30 },
  },
};

/** Every registered CI of a test system, in the storm's shape: the harness's own three, then the kits'. */
function stormCisOf(system: ProvisioningSystem): StormCi[] {
  const { github, jenkins } = system;
  return [
    {
      kit: localCiOf('generic'),
      running: { context: {}, agentNames: () => [] },
    },
    {
      kit: localCiOf('jenkins'),
      running: {
        context: { url: jenkins.url },
        agentNames: () => [...jenkins.state.nodes.keys()],
        failFor: (forMs, failure) => jenkins.failFor(forMs, failure),
        failuresServed: () => jenkins.failuresServed(),
      },
    },
    {
      kit: localCiOf('github'),
      running: {
        context: { url: github.url },
        agentNames: () => github.state.runners.map((runner) => runner.name),
        failFor: (forMs, failure) => github.failFor(forMs, failure),
        failuresServed: () => github.failuresServed(),
      },
    },
    ...system.kits,
  ];
}

/**
 * A storm over a test system (test/support/provisioning.ts) and the handlers the test imported for
 * it: the same servers, table and queue, the checks reading them directly.
 */
export async function stormSystemOf(
  system: ProvisioningSystem,
  parts: Pick<StormSystem, 'provisioners' | 'reapers' | 'caps' | 'faults'>,
): Promise<StormSystem> {
  const { Attributes } = await system.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: system.resources.queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return {
    ...parts,
    namespace: system.namespace,
    core: system.core,
    kubeConfig: adminKubeConfig(),
    requests: system.requests,
    capacity: createCapacityStore(system.db, system.resources.tableName),
    db: system.db,
    tableName: system.resources.tableName,
    sqs: system.sqs,
    queueUrl: system.resources.queueUrl,
    queueArn: Attributes?.QueueArn ?? '',
    dlqUrl: system.resources.dlqUrl,
    cis: stormCisOf(system),
    sendWebhook: (delivery) => system.sendWebhook(delivery.source, delivery.body, delivery.headers),
    functionEnv: system.env,
  };
}
