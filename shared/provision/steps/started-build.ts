import type { CiSource } from '../../sources/names';
import { CiError } from '../../sources/errors';
import { RetryLaterError } from '../errors';
import type { ProvisionPorts } from '../types';

/**
 * A build of `source` started, and its CI's agents outlive a build (Jenkins, whose webhook sends this
 * message with `retireAgentsOf`): take every Pitcrew agent that runs a build now out of rotation, so
 * that none runs a second build (shared/sources/jenkins/retire.ts), before the message's request is
 * handled as any other, whatever its state (the build may run on any of Pitcrew's agents). Seconds
 * matter: an agent whose build ends before this runs could be handed another. A transient CI failure
 * is tried again; past the last delivery, or refused (a missing permission), it is logged, and an
 * agent left in rotation runs builds until the reaper finds it idle.
 */
export async function retireBusyAgents(
  source: CiSource,
  requestId: string,
  ports: ProvisionPorts,
  lastAttempt: boolean,
): Promise<void> {
  const adapter = ports.sources[source]?.adapter;
  if (!adapter?.retireBusyAgents) return;
  try {
    const retired = await adapter.retireBusyAgents();
    ports.logger.info('agents taken out of rotation', { requestId, agents: retired });
  } catch (error) {
    if (error instanceof CiError && error.retryable && !lastAttempt)
      throw new RetryLaterError(`taking agents out of rotation: ${error.message}`, { cause: error });
    ports.logger.error('could not take agents out of rotation; they may be handed another build', {
      requestId,
      error: String(error),
    });
  }
}
