import type { V1Pod } from '@kubernetes/client-node';
import { isCiSource, type CiSource } from '../sources/names';
import { agentContainerName } from '../templates/agent-container';
import { pitcrewLabels } from '../templates/labels';

/** What the reaper reads off one pod, parsed once from the list (no per-pod calls). */
export interface PodView {
  readonly name: string;
  /** Which pod of that name was read: a delete decided from this read deletes that one alone. */
  readonly uid?: string;
  readonly requestId?: string;
  readonly template?: string;
  readonly source?: CiSource;
  readonly phase: string;
  readonly createdAtMs: number;
  /** When the agent container started running, if it did (else when the pod started, if it did). */
  readonly startedAtMs?: number;
  /** Whether the agent container runs now (not waiting for its image, nor ended). */
  readonly agentRunning?: boolean;
  /** When the last container ended, for finished pods. */
  readonly finishedAtMs?: number;
  /** How the agent container ended, for finished pods; unknown without its status. */
  readonly exitCode?: number;
  readonly exitReason?: string;
  readonly deleting: boolean;
  readonly waitingReason?: string;
  readonly waitingMessage?: string;
  readonly unschedulableMessage?: string;
  readonly image?: string;
  /** Its `activeDeadlineSeconds`: its template's `maxLifetimeSeconds` when it was made. */
  readonly lifetimeSeconds?: number;
}

const ms = (value: Date | string | undefined): number | undefined =>
  value === undefined ? undefined : new Date(value).getTime();

export function toPodView(pod: V1Pod): PodView {
  const labels = pod.metadata?.labels ?? {};
  const statuses = pod.status?.containerStatuses ?? [];
  // The agent's status by name: the kubelet lists statuses in no promised order (sorted by name, not
  // as the spec lists containers), so a podYaml sidecar named before `agent` may come first. With
  // none of that name the pod is read as one with no statuses: started when the pod did (or, not
  // yet, when it was made), its exit code unknown.
  const agent = statuses.find((status) => status.name === agentContainerName);
  const ended = agent?.state?.terminated;
  const terminated = statuses
    .map((status) => status.state?.terminated)
    .filter((state) => state !== undefined);
  const finished = terminated
    .map((state) => ms(state.finishedAt))
    .filter((value): value is number => value !== undefined);
  const waiting = statuses.map((status) => status.state?.waiting).find((state) => state?.reason);
  const unschedulable = pod.status?.conditions?.find(
    (condition) => condition.type === 'PodScheduled' && condition.reason === 'Unschedulable',
  );
  const source = labels[pitcrewLabels.source];
  return {
    name: pod.metadata?.name ?? '',
    uid: pod.metadata?.uid,
    requestId: labels[pitcrewLabels.requestId],
    template: labels[pitcrewLabels.template],
    source: isCiSource(source) ? source : undefined,
    // A podYaml sidecar still running keeps the pod Running after the agent exited: the agent's end is
    // the build's, so the pod reads as finished (else it would hold its slot to maxLifetimeSeconds).
    phase:
      ended && pod.status?.phase === 'Running'
        ? ended.exitCode === 0
          ? 'Succeeded'
          : 'Failed'
        : (pod.status?.phase ?? 'Pending'),
    createdAtMs: ms(pod.metadata?.creationTimestamp) ?? 0,
    startedAtMs: ms(agent?.state?.running?.startedAt) ?? ms(pod.status?.startTime),
    agentRunning: agent?.state?.running !== undefined,
    finishedAtMs: finished.length > 0 ? Math.max(...finished) : undefined,
    exitCode: ended?.exitCode,
    exitReason: ended?.reason,
    deleting: pod.metadata?.deletionTimestamp !== undefined,
    waitingReason: waiting?.reason,
    waitingMessage: waiting?.message,
    unschedulableMessage: unschedulable?.message,
    image: pod.spec?.containers[0]?.image,
    lifetimeSeconds: pod.spec?.activeDeadlineSeconds,
  };
}
