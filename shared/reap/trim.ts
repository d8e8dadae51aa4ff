import { planTrim } from '../capacity';
import { byTemplate } from '../capacity/by-template';
import type { AgentTemplate } from '../config/file-schema';
import type { RequestRecord } from '../requests/record';
import { fromStatesOf } from '../requests/transitions';
import { deregister, deregisterLost, type ActPorts } from './act';
import type { PodView } from './pod-view';
import type { ReapReport } from './report';
import type { CapsRead } from './trim-scope';

/**
 * The trim of a lowered cap (bugs 29, 67, 78 to 81): loaded by the reaper only when a counter is over
 * its cap (./trim-scope.ts), which a run seldom finds.
 */

/** What one run knows and holds that its steps share. */
export interface Run {
  readonly report: ReapReport;
  readonly force: boolean;
  readonly templates: ReadonlyMap<string, AgentTemplate>;
  /** False once the run's lease is short: act no more. */
  readonly inTime: () => boolean;
  /** When the run read the table and the cluster. */
  readonly nowMs: number;
}

/**
 * A lowered cap: give up pending agents of that template, newest first (running ones only if
 * forced); then the same for the global cap, across templates, of the holders left (bug 67).
 */
export async function trimOverCap(
  ports: ActPorts,
  run: Run,
  pods: readonly PodView[],
  records: readonly RequestRecord[],
  { caps, globalCap, counters }: CapsRead,
): Promise<void> {
  const podByName = new Map(pods.map((pod) => [pod.name, pod]));
  const trimmed = new Set<string>();
  const scopes = [
    ...Object.entries(caps).map(([template, cap]) => ({
      cap,
      used: byTemplate(counters.templates, template) ?? 0,
      holds: (record: RequestRecord) => record.template === template,
    })),
    { cap: globalCap, used: counters.global, holds: () => true },
  ];
  for (const { cap, used, holds } of scopes) {
    // Reservations are held to the counter: when it is within the cap (less what this run gave
    // back), more holders in the list are requests that moved while the reaper read them, not a
    // lowered cap.
    const givenBack = records.filter((record) => trimmed.has(record.requestId) && holds(record)).length;
    if (used - givenBack <= cap) continue;
    const holders = records
      .filter((record) => record.holdsSlot && !trimmed.has(record.requestId) && holds(record))
      .map((record) => {
        const pod = record.podName ? podByName.get(record.podName) : undefined;
        return {
          record,
          // A build the CI started runs, whatever phase the pods listed before the requests said.
          pending:
            (record.status === 'provisioning' || record.status === 'provisioned') &&
            (!pod || pod.phase === 'Pending'),
          // An attempt in flight, whatever state the CI moved its request to meanwhile (bug 33).
          making: (record.attemptUntilMs ?? 0) > run.nowMs,
          createdAtMs: pod?.createdAtMs ?? new Date(record.statusSince).getTime(),
        };
      });
    // Never more than the counter is over the cap: more holders are requests that moved.
    const over = Math.min(holders.length, used - givenBack) - cap;
    for (const record of planTrim(holders, holders.length - over, run.force)) {
      if (!run.inTime()) return;
      if (await trimOne(ports, run, record, podByName)) trimmed.add(record.requestId);
    }
  }
}

/** Gives up one agent over a cap: at its CI, then its pod, then its slot (its request `waiting`). */
async function trimOne(
  ports: ActPorts,
  { report, force, templates }: Run,
  record: RequestRecord,
  podByName: ReadonlyMap<string, PodView>,
): Promise<boolean> {
  const configured = record.template === undefined ? undefined : templates.get(record.template);
  // The CI first, as wherever an agent goes: one left registered could take a job with no pod to
  // run it. When the CI keeps it (down for now, or it runs a job and this run is not forced) the
  // request keeps its pod and slot, and the next run tries again: trimmed, nothing would point
  // at that agent any more.
  const pod = record.podName ? podByName.get(record.podName) : undefined;
  const ci = pod
    ? await deregister(ports, pod, record, configured, force)
    : await deregisterLost(ports, record, configured);
  if (ci !== true) return false;
  // The pod listed alone: one made since under its name is a newer attempt's (bug 38).
  if (pod && !(await ports.agents.deletePod(ports.namespace, pod.name, pod.uid))) return false;
  if (
    !record.template ||
    !(await ports.capacity.release(
      record.requestId,
      record.template,
      'waiting',
      'cap lowered: waiting for a free slot',
      // Not from `started` unless read so: a start written meanwhile stands (the lost rule then sees
      // its pod gone); a pod recorded since is the one deleted. The slot of an attempt that named
      // another pod since is that attempt's.
      {
        from: fromStatesOf('requeue').filter((status) => status !== 'started' || record.status === 'started'),
        ...(record.podName ? { podName: record.podName } : {}),
      },
    ))
  )
    return false;
  // A pod made since under its name runs outside the cap now that its request holds no slot, and no
  // newer attempt made it without one: it goes. None listed: an attempt may have made it since.
  // Another than the one deleted (a resumed attempt's, made after the delete): its agent, registered
  // after the removal above, goes by a left agent's message (bug 71).
  if (!pod && record.podName) await ports.agents.deletePod(ports.namespace, record.podName);
  if (pod && !(await ports.agents.deletePod(ports.namespace, pod.name, pod.uid))) {
    await ports.agents.deletePod(ports.namespace, pod.name);
    await ports.queue.send({ requestId: record.requestId, agent: pod.name });
  }
  report.deleted['over-cap'] = (report.deleted['over-cap'] ?? 0) + 1;
  return true;
}
