import type { RequestRecord } from '../../requests/record';
import { CiError } from '../../sources/errors';
import { RetryLaterError } from '../errors';
import type { ProvisionOutcome, ProvisionPorts } from '../types';

/**
 * A build started, and its CI's agents outlive a build (Jenkins, whose webhook sends this message):
 * take every Pitcrew agent that runs a build now out of rotation, so that none runs a second build
 * (shared/sources/jenkins/retire.ts). Seconds matter: an agent whose build
 * ends before this runs could be handed another. A transient CI failure is tried again; past the last
 * delivery, or refused, it is logged, and the reaper deletes the agent once idle.
 */
export async function retireStartedAgents(
  record: RequestRecord,
  ports: ProvisionPorts,
  lastAttempt: boolean,
): Promise<ProvisionOutcome> {
  const adapter = ports.sources[record.source]?.adapter;
  if (!adapter?.retireBusyAgents) return { kind: 'skipped', reason: 'agent already started' };
  try {
    const retired = await adapter.retireBusyAgents();
    ports.logger.info('agents taken out of rotation', { requestId: record.requestId, agents: retired });
    return { kind: 'skipped', reason: `build started: ${retired.length} agent(s) taken out of rotation` };
  } catch (error) {
    if (error instanceof CiError && error.retryable && !lastAttempt)
      throw new RetryLaterError(`taking agents out of rotation: ${error.message}`, { cause: error });
    ports.logger.error('could not take agents out of rotation; the reaper removes them once idle', {
      requestId: record.requestId,
      error: String(error),
    });
    return { kind: 'skipped', reason: `build started; agents not taken out of rotation: ${String(error)}` };
  }
}
