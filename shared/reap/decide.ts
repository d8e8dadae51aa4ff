import type { AgentTemplate } from '../config/file-schema';
import { endReasonOf, endStateOf, isTerminal, type RequestRecord } from '../requests/record';
import { ciModuleOf } from '../sources/registry';
import type { PodView } from './pod-view';
import type { ReapRules } from './rules';

export const deleteReasons = ['finished', 'ended', 'stuck', 'too-old', 'orphan', 'idle', 'over-cap'] as const;
export type DeleteReason = (typeof deleteReasons)[number];

/** What happens to the build of a pod the reaper deletes. */
/** `requeue`: queued again for another agent without using a retry (its agent ran another build). */
export type BuildOutcome = 'completed' | 'cancelled' | 'failed' | 'retry' | 'requeue' | 'none';

export type PodDecision =
  /** `removeAgent`: a finished pod kept for its logs, whose agent goes at its CI now (bug 69). */
  | { readonly kind: 'keep'; readonly removeAgent?: true }
  | {
      readonly kind: 'delete';
      readonly reason: DeleteReason;
      readonly message: string;
      readonly outcome: BuildOutcome;
      /**
       * The agent finished before the CI said its build started: it may have run another build (a
       * runner takes any job its labels fit), so this is the outcome instead if its CI still waits to
       * run the build (the adapter's `buildWaits`, act.ts).
       */
      readonly ifWaiting?: BuildOutcome;
    }
  /** A Jenkins agent that may be idle: read its busy state right before deleting (act.ts). */
  | {
      readonly kind: 'delete-if-idle';
      readonly reason: 'idle' | 'orphan' | 'ended';
      readonly message: string;
      readonly outcome: BuildOutcome;
      /** Only once it ran a build and is out of rotation (retire.ts), not merely idle. */
      readonly onlyRetired?: boolean;
    };

/**
 * Whether the pod's agent may outlive its build (a Jenkins agent: its module's
 * `agentsOutliveBuilds`): such an agent is deleted only once idle.
 */
const outlivesBuilds = (pod: PodView): boolean =>
  pod.source !== undefined && ciModuleOf(pod.source).agentsOutliveBuilds;

const seconds = (fromMs: number, nowMs: number): number => (nowMs - fromMs) / 1000;

/** What the reaper's rules read of a template (a configured one, or removed-template.ts's stand-in). */
export type TemplateRules = Pick<
  AgentTemplate,
  'pendingTimeoutSeconds' | 'idleMinutes' | 'maxLifetimeSeconds' | 'retries' | 'retention'
>;

/**
 * Another attempt while the template allows retries, else the build fails. `retriesUsed` counts only
 * the reaper's own second chances (stuck or lost pods); SQS redeliveries after a transient error are
 * in `attempts` and do not use up a template's retries. A build the CI said started too: its agent
 * may be the one another job waits for, the CI having given this build to that job's agent (a
 * runner takes any job its labels fit), so it is made again (bug 49, reverted).
 */
const retryOrFail = (record: RequestRecord | undefined, template: TemplateRules | undefined): BuildOutcome =>
  record && !isTerminal(record.status)
    ? record.retriesUsed < (template?.retries ?? 0)
      ? 'retry'
      : 'failed'
    : 'none';

/**
 * Attempts after which a build whose runner finished before it started uses a retry even after a
 * clean exit. Far above what a build whose runners keep taking other jobs needs (the storms' most
 * is a few), far below a day of eleven-minute waits.
 */
export const freeRequeueAttempts = 12;

/**
 * For this long after a pod kept for its logs (a template's `retention`) finished, each reaper run
 * removes its agent at the CI: a build that killed its agent knows its name and secret, and could
 * connect another agent under them from anywhere while the CI still lists it (a Jenkins node, a
 * GitLab runner) and take the next builds meant for Pitcrew's agents. The first run normally does it;
 * the later ones ride out a CI that fails for now (no run remembers an earlier one's answer, so each
 * asks again, one CI call per kept pod), and then stop asking (a CI down for longer: the agent goes
 * when the pod does).
 */
export const retainedAgentRemovalSeconds = 300;

function finishedDecision(
  pod: PodView,
  record: RequestRecord | undefined,
  template: TemplateRules | undefined,
  nowMs: number,
  rules: ReapRules,
): PodDecision {
  const failed = pod.phase === 'Failed';
  const policy = template?.retention.policy ?? 'never';
  const keepMinutes =
    policy === 'always' || (policy === 'onFailure' && failed) ? (template?.retention.minutes ?? 0) : 0;
  const finishedFor = seconds(pod.finishedAtMs ?? pod.createdAtMs, nowMs);
  if (finishedFor < keepMinutes * 60)
    return finishedFor < retainedAgentRemovalSeconds ? { kind: 'keep', removeAgent: true } : { kind: 'keep' };
  const active = record !== undefined && !isTerminal(record.status);
  const message = failed
    ? `the agent exited with code ${pod.exitCode ?? '?'} (${pod.exitReason ?? 'Failed'})`
    : 'the agent finished';
  // An ending build's result is what the CI said of it, whatever the agent's exit.
  const outcome = !active
    ? 'none'
    : record.status === 'ending'
      ? endStateOf(record)
      : failed
        ? 'failed'
        : 'completed';
  // A runner that exited cleanly ran another job (or waited out its timeout): the build goes again
  // without using a retry, while it is not older than a wait may be. One that failed may fail every
  // time (a bad image or command): a retry, as a stuck pod's. So does a Jenkins agent that exited at
  // all before its build: it runs builds until removed, so its exit is no sign of another job's.
  const cleanRunnerExit = !failed && !outlivesBuilds(pod);
  const unstarted = record?.status === 'provisioned' || record?.status === 'provisioning';
  // Free only so many times: a runner that never reaches its CI (a GitLab runner that waits out
  // --wait-timeout) exits cleanly every time, and would make a pod every eleven minutes for a day.
  const young =
    record !== undefined &&
    seconds(Date.parse(record.createdAt), nowMs) < rules.maxWaitHours * 3600 &&
    record.attempts < freeRequeueAttempts;
  return {
    kind: 'delete',
    reason: 'finished',
    message,
    outcome,
    ...(unstarted ? { ifWaiting: cleanRunnerExit && young ? 'requeue' : retryOrFail(record, template) } : {}),
  };
}

function stuckMessage(pod: PodView, template: TemplateRules): string | undefined {
  if (pod.waitingReason?.includes('Image') || pod.waitingReason === 'ErrImagePull') {
    return `image \`${pod.image ?? '?'}\` cannot be pulled (${pod.waitingReason}): check the template's image and registry credentials`;
  }
  if (pod.waitingReason === 'CreateContainerConfigError')
    return `the container cannot be configured: ${pod.waitingMessage ?? 'CreateContainerConfigError'}`;
  if (pod.unschedulableMessage)
    return `no node can run it after ${template.pendingTimeoutSeconds} s: ${pod.unschedulableMessage}`;
  return `still Pending after ${template.pendingTimeoutSeconds} s`;
}

/**
 * The reaper's decision for one of its pods, from the pod, its request (if any) and its template.
 * Pure: the same inputs always give the same decision.
 */
export function decidePod(
  pod: PodView,
  record: RequestRecord | undefined,
  template: TemplateRules | undefined,
  nowMs: number,
  rules: ReapRules,
): PodDecision {
  if (pod.deleting) return { kind: 'keep' };
  // A pod its request no longer names (an earlier agent's, bug 57) decides nothing for the request.
  if (pod.phase === 'Succeeded' || pod.phase === 'Failed')
    return finishedDecision(pod, record?.podName === pod.name ? record : undefined, template, nowMs, rules);

  // The CI ended its build while the agent held a slot: the agent goes now (a Jenkins agent only
  // once idle), and the slot with it. Usually the provision function got there first.
  if (record?.status === 'ending' && record.podName === pod.name) {
    const message = endReasonOf(record);
    // An operator's cancel takes it busy or not (`endReason`, bug 45).
    return outlivesBuilds(pod) && record.endReason === undefined
      ? { kind: 'delete-if-idle', reason: 'ended', message, outcome: endStateOf(record) }
      : { kind: 'delete', reason: 'ended', message, outcome: endStateOf(record) };
  }

  // A request that holds no slot may have no pod running: one that does runs outside the caps (bugs 8
  // and 33). It was made by an attempt whose request moved on meanwhile (a lowered cap, a create the
  // API server applied after the client gave up), and the CI may even have started the build on it
  // (`start-elsewhere`). It goes as an orphan: a Jenkins one only once idle, a busy runner kept.
  const active =
    record !== undefined && !isTerminal(record.status) && record.holdsSlot && record.podName === pod.name;
  if (!active || !template) {
    // The grace is for a pod seconds from being recorded; one whose build ended never will be, and
    // its slot was given back when the build ended, so it goes at once.
    const ended = record !== undefined && isTerminal(record.status);
    if (!ended && seconds(pod.createdAtMs, nowMs) < rules.orphanGraceSeconds) return { kind: 'keep' };
    const message = record ? `its build is ${record.status}` : 'no request asks for it';
    // Never cut a Jenkins build short: check the agent is idle first.
    return outlivesBuilds(pod)
      ? { kind: 'delete-if-idle', reason: 'orphan', message, outcome: 'none' }
      : { kind: 'delete', reason: 'orphan', message, outcome: 'none' };
  }

  if (pod.phase === 'Pending') {
    const age = seconds(pod.createdAtMs, nowMs);
    const stuckWaiting =
      pod.waitingReason !== undefined &&
      rules.stuckReasons.includes(pod.waitingReason) &&
      age >= rules.stuckGraceSeconds;
    if (stuckWaiting || age >= template.pendingTimeoutSeconds) {
      return {
        kind: 'delete',
        reason: 'stuck',
        message: stuckMessage(pod, template) ?? 'stuck',
        outcome: retryOrFail(record, template),
      };
    }
    return { kind: 'keep' };
  }

  const runningFor = seconds(pod.startedAtMs ?? pod.createdAtMs, nowMs);
  if (runningFor >= template.maxLifetimeSeconds) {
    return {
      kind: 'delete',
      reason: 'too-old',
      message: `ran longer than its maximum lifetime of ${template.maxLifetimeSeconds} s`,
      outcome: 'failed',
    };
  }
  // One build per agent (retire.ts). A started build's agent that ran a build is out of rotation, so
  // once idle it has nothing left to run; one merely idle is a spare (its build ran on another agent)
  // kept for the build whose agent that was, until idleMinutes. A provisioned build's agent that ran
  // another build is out of rotation too: once idle it goes, and the build gets another agent. Any
  // Jenkins agent nobody's build came to goes after idleMinutes (since its start, or its build's).
  const started = record.status === 'started';
  if (outlivesBuilds(pod) && (started || record.status === 'provisioned')) {
    const idleFor = started ? seconds(Date.parse(record.statusSince), nowMs) : runningFor;
    const spare = idleFor >= template.idleMinutes * 60;
    // A minute's grace: the CI says a build started as it hands it to an executor, which then runs it.
    if (spare || idleFor >= 60)
      return {
        kind: 'delete-if-idle',
        reason: spare ? 'idle' : 'ended',
        message: spare
          ? `no build started on it within ${template.idleMinutes} minutes`
          : started
            ? 'ran its build'
            : 'ran another build; this one gets another agent',
        outcome: started ? 'completed' : spare ? 'failed' : 'requeue',
        onlyRetired: !spare,
      };
  }
  return { kind: 'keep' };
}

export type RecordDecision =
  | { readonly kind: 'keep' }
  /** Its pod vanished: give the slot back and try again, or fail when out of retries. */
  | { readonly kind: 'lost'; readonly outcome: 'retry' | 'failed' }
  /**
   * Queued, or provisioning with its pod, long ago with maybe no message left: send one again
   * (provisioning is idempotent and adopts a pod that exists).
   */
  | { readonly kind: 'resend' }
  /** Its build ended at the CI and its agent is gone: give the slot back, ending it as the CI said. */
  | { readonly kind: 'ended'; readonly outcome: 'completed' | 'cancelled' | 'failed' }
  /**
   * Queued or waiting for longer than `maxWaitHours` since it was recorded: fail it (it holds no slot).
   * Its CI has long given up on the build or will run it elsewhere, and a flood must not leave agents
   * to be made for builds nobody waits for.
   */
  | { readonly kind: 'expire'; readonly reason: string }
  /**
   * Queued or waiting for a template the config no longer has (removed or renamed since it was
   * recorded): fail it now. Nothing will ever serve it, and a waiting one is never woken (its
   * template's cap reads as 0), so it would otherwise wait out `maxWaitHours`.
   */
  | { readonly kind: 'unserved'; readonly reason: string }
  /**
   * Started on an agent not Pitcrew's (no slot: `start-elsewhere`, or a tombstone) longer than
   * `maxWaitHours` ago with no end event: end it `completed`. Nothing of Pitcrew's runs it, and a CI
   * may never say it ended (Jenkins's QueueListener sends no `completed`); kept, it would stay active
   * for good, read by every run (bug 48).
   */
  | { readonly kind: 'forget'; readonly reason: string };

/** The decision for an active request, given whether its pod was in the list. */
export function decideRecord(
  record: RequestRecord,
  podListed: boolean,
  template: TemplateRules | undefined,
  nowMs: number,
  rules: ReapRules,
): RecordDecision {
  if (
    record.status === 'started' &&
    !record.holdsSlot &&
    seconds(new Date(record.statusSince).getTime(), nowMs) >= rules.maxWaitHours * 3600
  )
    return {
      kind: 'forget',
      reason: `started on an agent not Pitcrew’s; no end event within reaper.maxWaitHours (${rules.maxWaitHours} h)`,
    };
  // A tombstone (an end or start event for a build never queued here) has no pod to lose.
  if (record.tombstone) return { kind: 'keep' };
  // Not at once: a reaper of the release before a deploy that added the template still runs for
  // the seconds of the swap, and must not fail the new release's builds.
  if (
    (record.status === 'queued' || record.status === 'waiting') &&
    record.template &&
    !template &&
    seconds(new Date(record.requeuedAt ?? record.createdAt).getTime(), nowMs) >= rules.staleQueuedSeconds
  )
    return { kind: 'unserved', reason: `template '${record.template}' is no longer configured` };
  if (
    (record.status === 'queued' || record.status === 'waiting') &&
    seconds(new Date(record.requeuedAt ?? record.createdAt).getTime(), nowMs) >= rules.maxWaitHours * 3600
  ) {
    return {
      kind: 'expire',
      reason: `expired: no agent within ${rules.maxWaitHours} h of being queued (reaper.maxWaitHours)`,
    };
  }
  // Not while an attempt may still make its agent: it finishes the build itself (bug 39).
  if (record.status === 'ending' && !podListed && !((record.attemptUntilMs ?? 0) > nowMs))
    return { kind: 'ended', outcome: endStateOf(record) };
  const age = seconds(new Date(record.statusSince).getTime(), nowMs);
  // Only an agent of ours can be lost: a build the CI started on another agent while its request
  // held no slot (`start-elsewhere`) has no pod to look for, and its CI's end event closes it.
  if (
    (record.status === 'provisioned' || record.status === 'started') &&
    record.holdsSlot &&
    !podListed &&
    age >= rules.lostGraceSeconds
  ) {
    return { kind: 'lost', outcome: retryOrFail(record, template) === 'retry' ? 'retry' : 'failed' };
  }
  // Not while an attempt holds it either: taken over, that attempt would register an agent under a
  // name no later attempt gives again, which nothing would remove (bug 57).
  if (
    record.status === 'provisioning' &&
    !podListed &&
    age >= rules.staleQueuedSeconds &&
    !((record.attemptUntilMs ?? 0) > nowMs)
  ) {
    return { kind: 'lost', outcome: retryOrFail(record, template) === 'retry' ? 'retry' : 'failed' };
  }
  // Its pod exists but the attempt that made it never recorded it, and its message is gone (it died
  // on the last delivery): send the message again, and provisioning adopts the pod.
  if (record.status === 'provisioning' && podListed && age >= rules.staleQueuedSeconds)
    return { kind: 'resend' };
  if (record.status === 'queued' && age >= rules.staleQueuedSeconds) return { kind: 'resend' };
  return { kind: 'keep' };
}
