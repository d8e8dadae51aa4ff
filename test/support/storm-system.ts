import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { StormSystem } from '../../infra/local/stand-ins/storm';
import { createCapacityStore } from '../../shared/state';
import { adminKubeConfig } from './kube';
import type { ProvisioningSystem } from './provisioning';

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
    jenkinsUrl: system.jenkins.url,
    github: system.github,
    jenkins: system.jenkins,
    sendWebhook: (delivery) => system.sendWebhook(delivery.source, delivery.body, delivery.headers),
    functionEnv: system.env,
  };
}
