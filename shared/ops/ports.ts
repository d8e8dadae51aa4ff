import type { SQSClient } from '@aws-sdk/client-sqs';
import type { AgentClient } from '../ports/agent-client';
import type { ProvisionQueue } from '../ports/provision-queue';
import type { ReapPorts } from '../reap/reap';
import type { OperatorSettingsStore } from '../state/settings-store';
import type { RequestQueries } from '../state/request-queries';

/** What the ops actions reach: everything the reaper does (reconcile runs it), the read side, the DLQ. */
export interface OpsPorts extends ReapPorts {
  /** The whole store: `drain`, `resume` and `caps` change the settings. */
  readonly settings: OperatorSettingsStore;
  /** The whole client: `describe` reads a pod's events. */
  readonly agents: AgentClient;
  /** The whole queue: `status` reads its depth. */
  readonly queue: ProvisionQueue;
  readonly queries: RequestQueries;
  /** The raw client for the dead-letter queue: `redrive` receives and deletes there, `status` reads its depth. */
  readonly sqs: SQSClient;
  readonly dlqUrl: string;
  /**
   * Builds the CI adapters (`sources`) if they are not built yet: `cancel` and `reconcile` call a
   * CI, the other actions never do, so the ops function builds them on the first of those.
   */
  loadSources(): Promise<void>;
  /**
   * Milliseconds left of this invocation (Lambda's `getRemainingTimeInMillis`): a long action
   * (`redrive`) stops in time to answer with what it did, rather than be cut off with nothing.
   */
  readonly remainingMs?: () => number;
}
