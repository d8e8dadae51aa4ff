import type { CiSource } from '../../sources/names';
import { CiError } from '../../sources/errors';
import { adapterOf } from '../adapter-of';
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
  once: RetireOnce = (_source, retire) => retire(),
): Promise<void> {
  try {
    const adapter = await adapterOf(ports, source);
    if (!adapter?.retireBusyAgents) return;
    // Bound to its adapter: an adapter may be a class.
    const retired = await once(source, adapter.retireBusyAgents.bind(adapter));
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

/** Runs `retire` for `source`, or joins a run of it already under way for the same batch. */
export type RetireOnce = (
  source: CiSource,
  retire: () => Promise<readonly string[]>,
) => Promise<readonly string[]>;

/**
 * One retire per CI for a whole batch of messages: each of their builds had started before the batch
 * was received, so one list of the agents taken after that finds every agent any of them runs on. Ten
 * builds that start together cost Jenkins one list, not ten, and no node is marked twice. A failure is
 * every joined message's, and each decides by its own delivery whether to try again.
 */
export function retireOncePerBatch(): RetireOnce {
  const runs = new Map<CiSource, Promise<readonly string[]>>();
  return (source, retire) => {
    const run = runs.get(source) ?? retire();
    runs.set(source, run);
    return run;
  };
}
