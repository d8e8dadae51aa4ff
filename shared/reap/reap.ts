import type { Clock } from '../ports/clock';
import { randomUUID } from 'node:crypto';
import type { AgentTemplate, PitcrewConfig } from '../config/file-schema';
import type { AgentClient } from '../cluster/agents';
import { capacityLimits, counterRepairs, expectedCounters, markOf, wakeWaiting } from '../capacity';
import type { LoggerPort } from '../ports/logger';
import type { ProvisionQueue } from '../ports/provision-queue';
import { endReasonOf, isTerminal, type RequestRecord, type RequestStatus } from '../requests/record';
import type { CapacityStore } from '../state/capacity-store';
import type { CounterName } from '../ports/capacity-store';
import type { LeaseStore } from '../state/lease-store';
import type { RequestStore } from '../state/request-store';
import type { OperatorSettingsStore } from '../state/settings-store';
import { managedSelector } from '../templates/labels';
import type { CiError } from '../sources/errors';
import { requireAdaptersOf } from '../sources/built-adapters';
import type { LoadSources, SourceRegistry } from '../sources/types';
import {
  deregister,
  deregisterLost,
  expire,
  isSafeToDelete,
  buildWaits,
  markEnding,
  removeLeftAgent,
  settle,
  type ActPorts,
} from './act';
import { decidePod, decideRecord, type PodDecision } from './decide';
import { toPodView, type PodView } from './pod-view';
import { emptyReport, type ReapReport } from './report';
import { reapRulesFrom, type ReapRules } from './rules';
import { messageOf } from '../message-of';
import { removedTemplateRules } from './removed-template';
import { overCap } from './trim-scope';
import type { OnUnreadable } from '../state/listed-requests';
import * as v from '../schema/valibot';

export interface ReapPorts {
  readonly config: Pick<PitcrewConfig, 'templates' | 'capacity' | 'reaper'> & { readonly namespace: string };
  /** Every configured CI's adapter, once `loadSources` has built them. */
  readonly sources: SourceRegistry;
  readonly loadSources?: LoadSources;
  /** The reaper's calls alone, so its bundle holds no others (shared/runtime/reap-ports.ts). */
  readonly requests: Pick<RequestStore, 'get' | 'transition' | 'listByStatus' | 'createIfAbsent'>;
  readonly capacity: Pick<CapacityStore, 'release' | 'readCounters' | 'repairCounter' | 'noteCounterDrift'>;
  readonly settings: Pick<OperatorSettingsStore, 'get'>;
  readonly leases: LeaseStore;
  readonly agents: Pick<AgentClient, 'deletePod' | 'listPods'>;
  readonly queue: Pick<ProvisionQueue, 'send'>;
  readonly logger: LoggerPort;
  readonly now: Clock;
}

/** In the order a request moves through them (listActive relies on it). */
const activeStatuses: readonly RequestStatus[] = [
  'queued',
  'waiting',
  'provisioning',
  'provisioned',
  'started',
  'ending',
];

/**
 * One reaper run: the cluster is the truth for what runs, the table for what was asked. List once
 * (pods, active requests, counters), decide per pod and per request (pure, decide.ts), act. Two runs
 * never act at once (a lease in the table), and every action is conditional, so a run that fails
 * half-way leaves a state the next run finishes.
 */
export async function reap(ports: ReapPorts, options: { force?: boolean } = {}): Promise<ReapReport> {
  // Every CI's adapter, before anything is decided: without one, a pod of its CI would be judged as
  // one of a CI the config no longer has. One that cannot be built fails the run, as it would fail
  // every one after it until the operator mends its setting; so does one the registry still lacks.
  await ports.loadSources?.();
  requireAdaptersOf(ports.config.templates, ports.sources, 'nothing reaped');
  const holder = randomUUID();
  const rules = reapRulesFrom(ports.config.reaper);
  if (!(await ports.leases.acquire('reaper', holder, rules.leaseSeconds)))
    return { ...emptyReport(), skipped: 'another run holds the lease' };
  try {
    return await reapUnderLease(ports, rules, options.force ?? false);
  } finally {
    await ports.leases.release('reaper', holder);
  }
}

async function reapUnderLease(ports: ReapPorts, rules: ReapRules, force: boolean): Promise<ReapReport> {
  const report = emptyReport();
  const nowMs = ports.now().getTime();
  const actUntilMs = nowMs + (rules.leaseSeconds - rules.actMarginSeconds) * 1000;
  const inTime = (): boolean => {
    if (ports.now().getTime() < actUntilMs) return true;
    report.stopped = 'its lease ran short';
    return false;
  };
  const templates = new Map(ports.config.templates.map((template) => [template.name, template]));
  const act: ActPorts = { ...ports, namespace: ports.config.namespace };

  // Read the counters before the requests: a repair then only applies if no slot moved in between.
  const [counters, runtime] = await Promise.all([ports.capacity.readCounters(), ports.settings.get()]);
  const pods = (await ports.agents.listPods(ports.config.namespace, managedSelector)).map(toPodView);
  // A request this code cannot read (another release wrote it) is left as it is, with its pod: an
  // error of the run, not the end of it. The counters its slot may be on are not repaired meanwhile.
  const unreadable = new Set<string>();
  // The templates whose counters an unreadable request may hold a slot on, the global one with them;
  // every counter when one names no template.
  const slotsUnknown = { all: false, templates: new Set<string>() };
  const noteUnreadable: OnUnreadable = ({ requestId, problem, holdsSlot, template }) => {
    unreadable.add(requestId);
    if (holdsSlot !== false) {
      if (template === undefined) slotsUnknown.all = true;
      else slotsUnknown.templates.add(template);
    }
    report.errors += 1;
    ports.logger.error('request unreadable by this release: left as it is', { requestId, problem });
  };
  const records = await listActive(ports.requests, noteUnreadable);
  const byRequest = new Map(records.map((record) => [record.requestId, record]));
  const ended = await requestsOfUnclaimedPods(ports, pods, byRequest, unreadable, noteUnreadable, inTime);
  tally(report, pods, records, nowMs);

  const repairable = (counter: CounterName): boolean =>
    !slotsUnknown.all &&
    (counter === 'global'
      ? slotsUnknown.templates.size === 0
      : !slotsUnknown.templates.has(counter.template));
  const repairs = counterRepairs(counters, expectedCounters(records)).filter(({ counter }) =>
    repairable(counter),
  );
  for (const repair of repairs) {
    if (!inTime()) break;
    const changes = markOf(counters.changes, repair.counter) ?? 0;
    // Only a drift an earlier run saw with the counter as it is now (noteCounterDrift says why).
    if (markOf(counters.driftSeen, repair.counter) !== changes) {
      if (await ports.capacity.noteCounterDrift(repair.counter, repair.observed, changes))
        ports.logger.info('counter looks drifted; a later run repairs it if nothing moves', { ...repair });
    } else if (
      await ports.capacity.repairCounter(repair.counter, repair.observed, repair.expected, changes)
    ) {
      report.counterRepairs += 1;
      ports.logger.warn('counter repaired', { ...repair });
    }
  }

  const podNames = new Set(pods.map((pod) => pod.name));
  const settled = new Set<string>();
  for (const pod of pods) {
    if (pod.requestId && unreadable.has(pod.requestId)) continue;
    const record = pod.requestId ? (byRequest.get(pod.requestId) ?? ended.get(pod.requestId)) : undefined;
    const template = pod.template ? templates.get(pod.template) : undefined;
    const decision = decidePod(pod, record, template ?? removedTemplateRules(pod), nowMs, rules);
    // Settled only once its pod is gone: one kept (a busy agent) still holds its slot for the trim.
    await guarded(report, ports.logger, inTime, async () => {
      // An earlier agent's pod (bug 57) settles nothing: its request still holds its current one's slot.
      if ((await actOnPod(act, report, pod, record, template, decision)) && record?.podName === pod.name)
        settled.add(record.requestId);
    });
  }
  for (const record of records) {
    const template = record.template ? templates.get(record.template) : undefined;
    const decision = decideRecord(
      record,
      record.podName !== undefined && podNames.has(record.podName),
      template,
      nowMs,
      rules,
    );
    await guarded(report, ports.logger, inTime, async () => {
      if (decision.kind === 'lost') {
        report.lost += 1;
        settled.add(record.requestId);
        ports.logger.warn('request lost its pod', {
          requestId: record.requestId,
          jobKey: record.jobKey,
          podName: record.podName,
        });
        // Until its agent is deregistered, the request is what points at it: the next run tries again.
        if (!(await deregisterLost(act, record, template))) return;
        if ((await settle(act, record, decision.outcome, 'lost: its pod vanished')) === 'retried')
          report.retried += 1;
      } else if (decision.kind === 'ended') {
        settled.add(record.requestId);
        if (!(await deregisterLost(act, record, template))) return;
        await settle(act, record, decision.outcome, endReasonOf(record));
      } else if (decision.kind === 'expire' || decision.kind === 'unserved') {
        // Queued or waiting: failed with the reason, an earlier attempt's agent removed.
        if (!(await expire(act, record, template, decision.reason))) return;
        report[decision.kind === 'expire' ? 'expired' : 'unserved'] += 1;
        settled.add(record.requestId);
        ports.logger.warn(`request failed: ${decision.reason}`, {
          requestId: record.requestId,
          jobKey: record.jobKey,
          status: record.status,
          createdAt: record.createdAt,
        });
      } else if (decision.kind === 'forget') {
        if ((await settle(act, record, 'completed', decision.reason)) !== 'ended') return;
        ports.logger.info('request forgotten: it started elsewhere and its end never came', {
          requestId: record.requestId,
          jobKey: record.jobKey,
        });
        // An agent an earlier attempt could not remove (its CI was down then too), which no pod
        // runs: ended, the request no longer points at it (bug 60). A listed pod's rules remove its
        // agent.
        if (record.podName && !podNames.has(record.podName)) await removeLeftAgent(act, record, template);
      } else if (decision.kind === 'resend') {
        await ports.queue.send({ requestId: record.requestId });
        report.resent += 1;
      }
    });
  }

  // The settings as they stand now: a cap an operator raised since the run read them must not be
  // trimmed to (the review of the trims, 2026-12-06). Unread, the run's first read stands.
  const current = await ports.settings.get().catch(() => runtime);
  const limits = capacityLimits(ports.config, current);
  const stillHolding = records.filter((record) => !settled.has(record.requestId));
  const caps = { caps: limits.templateCaps, globalCap: limits.globalCap, counters };
  // A lowered cap is rare: its trim loads on first use (./trim.ts).
  if (overCap(caps))
    await guarded(report, ports.logger, inTime, async () =>
      (await import('./trim')).trimOverCap(
        act,
        { report, force, templates, inTime, nowMs },
        pods,
        stillHolding,
        caps,
      ),
    );
  // Drained: waiting requests stay waiting until an operator resumes (ops `resume` wakes them).
  if (!current.drained) {
    await guarded(report, ports.logger, inTime, async () => {
      report.woken = (await wakeWaiting(ports, limits)).length;
    });
  }
  await recoverLostBuilds(ports, report, inTime);
  ports.logger.info('reaper run', { ...report });
  return report;
}

/** Acts on one pod as decided; true once the pod was deleted (its request then holds no slot by it). */
async function actOnPod(
  ports: ActPorts,
  report: ReapReport,
  pod: PodView,
  record: RequestRecord | undefined,
  template: AgentTemplate | undefined,
  decision: PodDecision,
): Promise<boolean> {
  if (decision.kind === 'keep') {
    // Kept for its logs, the pod runs nothing: its agent goes now (bug 69); a CI that fails for now
    // is asked again at the next run.
    if (decision.removeAgent) await deregister(ports, pod, record, template, true);
    return false;
  }
  if (decision.kind === 'delete-if-idle' && !(await isSafeToDelete(ports, pod, decision.onlyRetired))) {
    report.keptBusy += 1;
    return false;
  }
  const ifWaiting = decision.kind === 'delete' ? decision.ifWaiting : undefined;
  const waits = ifWaiting !== undefined && record !== undefined && (await buildWaits(ports, pod, record));
  if (waits === undefined) return false;
  const outcome = waits ? ifWaiting : decision.outcome;
  // Until the CI has deregistered the agent, something must keep pointing at it for the next run:
  // a finished pod stays as it is (it runs nothing), with its request unsettled; a running pod goes
  // whatever the CI says (a CI that is down must not keep a pod alive), and its active request is
  // then marked ending as decided (bug 77), or goes again with a message naming the agent (bug 85).
  // Past its maximum lifetime a pod goes, busy or not, as does one an operator cancelled; and an
  // agent that exited runs nothing, whatever the CI still says of its job.
  const finished = pod.phase === 'Succeeded' || pod.phase === 'Failed';
  const deregistered = await deregister(
    ports,
    pod,
    record,
    template,
    decision.reason === 'too-old' ||
      finished ||
      (decision.reason === 'ended' && record?.endReason !== undefined),
  );
  const about = { podName: pod.name, requestId: pod.requestId };
  // A runner that took another job of its repository or project runs it to the end (deregister.ts).
  // The pod of an earlier agent of a request read (bug 57) stays too: only it points at that agent.
  if (deregistered === 'busy' || (!deregistered && (finished || (record && record.podName !== pod.name)))) {
    report.keptBusy += 1;
    ports.logger.info('pod kept until its agent is deregistered', about);
    return false;
  }
  // Gone, or a newer attempt's pod took the name since the list: the decision was the listed one's.
  if (deregistered === 'gone' || !(await ports.agents.deletePod(ports.namespace, pod.name, pod.uid))) {
    ports.logger.info('pod gone or replaced since listed; left', about);
    return false;
  }
  report.deleted[decision.reason] = (report.deleted[decision.reason] ?? 0) + 1;
  ports.logger.info('pod deleted', {
    ...about,
    jobKey: record?.jobKey,
    reason: decision.reason,
    message: decision.message,
  });
  const reason =
    // An `ending` request's reason as the CI or the operator gave it, as the provision function ends
    // it (the `ended` rule's; Jenkins's idle rules share the name, and keep the prefix).
    decision.reason === 'ended' && record?.status === 'ending'
      ? decision.message
      : waits
        ? `${decision.reason}: ${decision.message} before this build started on it, and the CI still waits to run the build`
        : `${decision.reason}: ${decision.message}`;
  const again = outcome === 'retry' || outcome === 'requeue';
  if (!deregistered && record && !isTerminal(record.status) && !again) {
    // Still pointing at the agent, it ends as decided once the agent is gone (bug 77).
    if (outcome === 'completed' || outcome === 'failed') await markEnding(ports, record, outcome, reason);
    return true;
  }
  try {
    // A start written since the read stands (the CI's word on that build, not this agent's).
    if ((await settle(ports, record, outcome, reason, waits)) === 'retried') report.retried += 1;
  } finally {
    // Ended (an old pod's request is not read: `record` is then absent), or going again as decided
    // (its next agent has a name of its own, bug 57; left to the next run's `lost` rule, it would
    // spend a retry or fail: bug 85), its request points at the agent no more once the pod is gone:
    // provision removes the agent the message names, while SQS delivers it (bugs 60 and 71). Sent
    // after the settle: read before it, the request still holds its slot under the agent's name, and
    // provision would skip the agent as the request's own, for good. Sent when the settle throws
    // too (its move may have applied before its own message failed): a request still naming the
    // agent is skipped, and left to its state's rules (an end, the lost rule), which remove it.
    if (!deregistered && pod.requestId) await ports.queue.send({ requestId: pod.requestId, agent: pod.name });
  }
  return true;
}

/**
 * The active requests, one state after the other in the order a request moves through them while it
 * holds a slot (provisioning, provisioned, started, ending), each request once in its latest state.
 * A request that moves on while they are read is then read twice (the later copy is kept), never
 * missed: read all at once, one could move from a state not yet read to one already read and be
 * missed (its slot then "repaired" away, and the cap overshot), or be counted twice.
 */
async function listActive(
  requests: ReapPorts['requests'],
  onUnreadable: OnUnreadable,
): Promise<RequestRecord[]> {
  const latest = new Map<string, RequestRecord>();
  for (const status of activeStatuses) {
    for (const record of await requests.listByStatus(status, undefined, onUnreadable)) {
      const seen = latest.get(record.requestId);
      if (!seen || seen.statusSince <= record.statusSince) latest.set(record.requestId, record);
    }
  }
  return [...latest.values()];
}

/**
 * The ended requests of the live pods no active request claims, read one by one (the list holds only
 * active requests): an ended build's pod need not wait out the orphan grace. One this release cannot
 * read goes to `onUnreadable`, as a listed one does (the slot it may hold unknown): a state it does
 * not know is in no list it reads, and its pod would otherwise be taken for an orphan and its slot
 * repaired away (a review of bug 102). Such pods are few: an orphan is read in the run that removes
 * it; a busy one at each run it is kept. Finished pods are not read: their phase decides them.
 */
async function requestsOfUnclaimedPods(
  ports: ReapPorts,
  pods: readonly PodView[],
  claimed: ReadonlyMap<string, RequestRecord>,
  unreadable: ReadonlySet<string>,
  onUnreadable: OnUnreadable,
  inTime: () => boolean,
): Promise<Map<string, RequestRecord>> {
  const ended = new Map<string, RequestRecord>();
  for (const pod of pods) {
    const requestId = pod.requestId;
    // A finished pod's phase decides it, its request or not (one kept for its logs is read by no run).
    const finished = pod.phase === 'Succeeded' || pod.phase === 'Failed';
    if (!requestId || pod.deleting || finished || claimed.has(requestId) || unreadable.has(requestId))
      continue;
    if (ended.has(requestId)) continue;
    if (!inTime()) break;
    try {
      const record = await ports.requests.get(requestId);
      if (record && isTerminal(record.status)) ended.set(requestId, record);
    } catch (error) {
      if (error instanceof v.ValiError) onUnreadable({ requestId, problem: error.message });
      // Unread for now (DynamoDB): decided as a pod no request asks for, after the grace.
    }
  }
  return ended;
}

/** Builds a CI has queued that Pitcrew never heard of (a lost webhook): record and enqueue them. */
async function recoverLostBuilds(ports: ReapPorts, report: ReapReport, inTime: () => boolean): Promise<void> {
  for (const configured of Object.values(ports.sources)) {
    const list = configured?.adapter.listQueuedBuilds?.bind(configured.adapter);
    if (!list) continue;
    await guarded(report, ports.logger, inTime, async () => {
      // Loaded by the first poll of the container's first run, with the polling itself.
      const { enqueueBuild } = await import('../sources/pollers');
      // One repository, project or pipeline the CI refuses (gone, or out of the credentials' reach)
      // is counted and logged, and the others are still polled; a passing failure (a rate limit)
      // ends the poll, counted and logged, and what was read before it is recovered all the same.
      const problem = (error: CiError): void => {
        report.errors += 1;
        ports.logger.warn(
          error.retryable
            ? 'polling the CI stopped for this run; the builds read before are recovered, the next run polls again'
            : 'the CI refused to list the queued builds of one of its polled sources',
          { source: configured?.adapter.name, error: String(error) },
        );
      };
      for (const event of await list(problem)) {
        if (!inTime()) return;
        const outcome = await enqueueBuild(event, { ...ports, templates: ports.config.templates });
        if (outcome.kind !== 'accepted') continue;
        report.recovered += 1;
        ports.logger.warn('enqueued a build whose webhook was lost', {
          source: event.source,
          jobKey: event.jobKey,
          requestId: outcome.requestId,
        });
      }
    });
  }
}

function tally(
  report: ReapReport,
  pods: readonly PodView[],
  records: readonly RequestRecord[],
  nowMs: number,
): void {
  for (const pod of pods) {
    report.podsByPhase[pod.phase] = (report.podsByPhase[pod.phase] ?? 0) + 1;
    if (pod.template) report.podsByTemplate[pod.template] = (report.podsByTemplate[pod.template] ?? 0) + 1;
  }
  const waiting = records.filter((record) => record.status === 'waiting');
  report.waiting = waiting.length;
  const oldest = Math.min(...waiting.map((record) => new Date(record.statusSince).getTime()));
  report.oldestWaitingSeconds = waiting.length > 0 ? Math.round((nowMs - oldest) / 1000) : 0;
}

/**
 * Runs one action: a failed one must not stop the run, so it is counted and logged, and the next run
 * tries it again. None runs once the run's lease is short (`inTime` false): a run cut off by its
 * function's timeout, or outliving its lease, could otherwise act on what it read long before,
 * beside the next run.
 */
async function guarded(
  report: ReapReport,
  logger: LoggerPort,
  inTime: () => boolean,
  action: () => Promise<void>,
): Promise<void> {
  if (!inTime()) return;
  try {
    await action();
  } catch (error) {
    report.errors += 1;
    logger.error('reaper action failed; the next run tries again', {
      error: messageOf(error),
    });
  }
}
