import { capacityLimits } from '../capacity/limits';
import { wakeWaiting } from '../capacity/wake';
import { endReasonOf, endStateOf, type RequestRecord } from '../requests/record';
import { ciForgot } from '../sources/deregister';
import { adapterOf } from './adapter-of';
import { removeAgentOf } from './remove-agent-of';
import type { OperatorSettings } from '../state/settings-store';
import { attemptLog, type ProvisionOutcome, type ProvisionPorts } from './types';

/**
 * An `ending` request: the CI said the build is over while its agent held a slot. Removes the agent
 * (its pod, and its registration at the CI), then gives the slot back, ending the request as the CI
 * said, and wakes the oldest waiting request into the freed slot. A CI that fails for now to forget
 * the agent keeps the slot taken: the reaper's `ended` rule tries again. A Jenkins agent that is busy
 * again (Jenkins gave it another build) is left: the reaper finishes it once it is idle. Every step is
 * conditional or idempotent, so a second message, or the reaper, doing the same is harmless.
 */
export async function finishRequest(
  record: RequestRecord,
  runtime: OperatorSettings,
  ports: ProvisionPorts,
): Promise<ProvisionOutcome> {
  const podName = record.podName;
  const adapter = await adapterOf(ports, record.source);
  if (podName) {
    const agent = await ports.agents.findAgent(ports.config.namespace, podName);
    const running = agent.pod !== undefined && !agent.pod.metadata?.deletionTimestamp;
    // An operator's cancel removes it busy or not (`endReason`, bug 45).
    const evenIfBusy = record.endReason !== undefined;
    if (
      running &&
      !evenIfBusy &&
      adapter?.isAgentBusy &&
      (await adapter.isAgentBusy(podName).catch(() => true))
    )
      return {
        kind: 'skipped',
        reason: 'its agent took another build; the reaper removes it once idle',
      };
    const removal = await removeAgentOf(
      ports,
      record,
      { agentName: podName, labels: [], externalId: record.externalId },
      { pod: running ? 'delete' : undefined, evenIfBusy },
    );
    // A runner made for this build took another job of its repository or project: its pod ends with
    // that job, and the reaper then gives the slot back (its `finished` rule).
    if (removal.kind === 'busy')
      return { kind: 'skipped', reason: 'its agent runs another job; left to finish it' };
    // The slot stays taken until the CI forgets the agent: the reaper's `ended` rule tries again.
    if (!ciForgot(removal))
      return { kind: 'skipped', reason: 'its CI failed to deregister the agent; the reaper retries' };
  }
  const to = endStateOf(record);
  const released =
    record.template !== undefined &&
    (await ports.capacity.release(record.requestId, record.template, to, endReasonOf(record)));
  if (!released) return { kind: 'skipped', reason: 'already finished' };
  attemptLog(ports, record)('the build ended; its agent is gone and its slot free', { podName });
  if (!runtime.drained) await wakeWaiting(ports, capacityLimits(ports.config, runtime), 1);
  return { kind: 'ended', status: to };
}
