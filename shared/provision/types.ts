import type { PodRecorder } from './record-batch';
import type { AgentTemplate, PitcrewConfig } from '../config/file-schema';
import type { AgentClient } from '../ports/agent-client';
import type { Clock } from '../ports/clock';
import type { LoggerPort } from '../ports/logger';
import type { ProvisionQueue } from '../ports/provision-queue';
import type { RequestRecord } from '../requests/record';
import type { LoadSources, SourceRegistry } from '../sources/types';
import type { BatchReader } from '../state/batch-read';
import type { CapacityStore } from '../state/capacity-store';
import type { RequestStore } from '../state/request-store';
import type { OperatorSettings, OperatorSettingsStore } from '../state/settings-store';

export interface ProvisionPorts {
  readonly config: Pick<PitcrewConfig, 'templates' | 'defaults' | 'capacity' | 'reaper' | 'sources'> & {
    readonly namespace: string;
  };
  /** Read through adapterOf (./adapter-of.ts), which builds a CI's adapter the first time. */
  readonly sources: SourceRegistry;
  readonly loadSources?: LoadSources;
  /** The calls of the provision flow alone, so its bundle holds no others (shared/runtime/provision-ports.ts). */
  readonly requests: Pick<
    RequestStore,
    'get' | 'getMany' | 'transition' | 'transitionAll' | 'listByStatus' | 'claimAttempt' | 'endAttempt'
  >;
  readonly capacity: Pick<
    CapacityStore,
    'reserve' | 'reserveMany' | 'reserveFresh' | 'release' | 'readCounters'
  >;
  readonly settings: Pick<OperatorSettingsStore, 'get'>;
  readonly agents: Pick<AgentClient, 'createPod' | 'putSecret' | 'deletePod' | 'findAgent'>;
  readonly logger: LoggerPort;
  /** The time, to tell an attempt in flight (`attemptUntilMs`); the system's when absent. */
  readonly now?: Clock;
  /** Where waiting requests are re-enqueued when an ended build frees its slot (finish-request.ts). */
  readonly queue: Pick<ProvisionQueue, 'send'>;
  /**
   * Reads a batch's requests and the operator settings in one call (shared/state/batch-read.ts);
   * without it, prepare-batch.ts reads them with `requests.getMany` and `settings.get`.
   */
  readonly readBatch?: BatchReader;
  /**
   * The operator settings this container read last, with their version: what a new request's
   * reservation on its message's snapshot takes the caps from (steps/snapshot-start.ts), the
   * transaction checking the version. Without it, or before the first read, every message reads first.
   */
  readonly latestSettings?: () => VersionedSettings | undefined;
  /**
   * How long one attempt may run at most: the provision function's timeout (the default). A second
   * attempt at the same request waits that long for the first before it takes over.
   */
  readonly attemptSeconds?: number;
}

/** Operator settings as read, with the version they were stored at. */
export interface VersionedSettings {
  readonly settings: OperatorSettings;
  readonly version: number;
}

export type ProvisionOutcome =
  | {
      readonly kind: 'provisioned';
      readonly podName: string;
      readonly adopted: boolean;
      /** When the build was queued (the request's creation): the start of queued-to-pod latency. */
      readonly queuedAt: string;
    }
  | { readonly kind: 'waiting'; readonly reason: string }
  /** The CI asked to be left alone for longer than SQS would wait: a held-back message tries again. */
  | { readonly kind: 'deferred'; readonly reason: string }
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string }
  /** The CI (or the reaper, bug 77) had ended the build: its agent is removed and its slot given back. */
  | { readonly kind: 'ended'; readonly status: 'completed' | 'cancelled' | 'failed' };

/** One attempt at making a request's agent, as the steps (steps/*.ts) share it. */
export interface Attempt {
  readonly record: RequestRecord;
  readonly template: AgentTemplate;
  readonly podName: string;
  readonly runtime: OperatorSettings;
  readonly lastAttempt: boolean;
  readonly attemptSeconds: number;
  /** Whether it resumed a reserve an earlier delivery made (its name is that reserve's). */
  readonly resumed: boolean;
  /**
   * Whether a pod of this attempt's may exist. Resuming, a previous attempt may have made it: until
   * the API server says it did not, the slot is kept on a failure (giving it back would leave a pod
   * outside the caps).
   */
  podCreated: boolean;
  /** The CI's id of the agent this attempt registered, so a failure deregisters exactly it. */
  externalId?: string;
  /** Records the pod with the batch's others (record-batch.ts); alone (`transition`) when absent. */
  readonly recordPod?: PodRecorder;
}

/** A step either lets the attempt go on, or ends it with the request's outcome. */
export type StepOutcome<T extends object = object> =
  ({ readonly kind: 'next' } & T) | { readonly kind: 'done'; readonly outcome: ProvisionOutcome };

/** A log line about `record`'s build, naming its request and job: `info`, or the level given. */
export const attemptLog =
  (ports: ProvisionPorts, record: RequestRecord, level: keyof LoggerPort = 'info') =>
  (message: string, extra: Record<string, unknown> = {}): void =>
    ports.logger[level](message, { requestId: record.requestId, jobKey: record.jobKey, ...extra });
