import type { AgentClient } from '../ports/agent-client';
import type { LoggerPort } from '../ports/logger';
import { CiAgentBusyError, CiError } from './errors';
import type { AgentRequest, CiSourceAdapter } from './types';

/**
 * Awaits an agent's deregistration at its CI. True when it is gone, or when the CI refused for good
 * (bad credentials, say: another try would be refused too, so it is logged and let go). False when
 * the CI failed for now (5xx, 429, unreachable): the caller then keeps what points at the agent (a
 * finished pod, an active request) so that the reaper's next run tries again.
 */
export async function deregisteredOrRefused(
  logger: LoggerPort,
  podName: string,
  deregistering: Promise<void>,
): Promise<boolean> {
  try {
    await deregistering;
    return true;
  } catch (error) {
    const retryable = error instanceof CiError && error.retryable;
    if (error instanceof CiAgentBusyError) {
      logger.info('the agent runs a job it took; left to finish it', { podName, error: String(error) });
      return false;
    }
    logger.warn(
      retryable
        ? 'could not deregister the agent; the next reaper run tries again'
        : 'could not deregister the agent; the CI may list it until it times out',
      { podName, error: String(error) },
    );
    return !retryable;
  }
}

/** What removing an agent reaches: the agents' namespace, the cluster, the log. */
export interface RemoveAgentPorts {
  readonly namespace: string;
  readonly agents: Pick<AgentClient, 'deletePod'>;
  readonly logger: LoggerPort;
}

export interface AgentToRemove {
  /** The agent as its CI knows it: `agentName` is also its pod's name. */
  readonly agent: AgentRequest & { readonly externalId?: string };
  /**
   * The CI's adapter. Only a CI the config no longer has lacks one: its agent cannot be removed, which
   * is logged (`leftAtUnconfiguredCi`) and counts as forgotten, as nothing can ever remove it.
   */
  readonly adapter: CiSourceAdapter | undefined;
  /**
   * The pod, once the CI was asked to forget the agent: `delete` (a failure throws), `try-delete` (a
   * failure is ignored), or absent to leave it (the caller knows there is none, or that it is not to
   * be touched). Left whatever this says when the CI says the agent runs a job (`busy`).
   */
  readonly pod?: 'delete' | 'try-delete';
  /**
   * Go on even when the agent runs a job: one that must run no build at all, past its lifetime, or
   * whose pod is gone or ended (it runs nothing, whatever the CI still says). The CI is asked to
   * remove it anyway (GitLab), and a refusal (GitHub) is let go as `refused`.
   */
  readonly evenIfBusy?: boolean;
}

/**
 * What became of the agent at its CI: `forgotten` when it is deregistered (or there was nothing to
 * deregister); `refused` when the CI refused for good (logged and let go: it may list the agent until it
 * times out); `kept` when the CI failed for now and still lists it. The error is there for callers that
 * pass it on.
 */
export type AgentRemoval =
  | { readonly kind: 'forgotten' }
  | { readonly kind: 'refused'; readonly error: unknown }
  | { readonly kind: 'kept'; readonly error: unknown }
  /** The CI says the agent runs a job (one it was not made for): still registered, its pod left. */
  | { readonly kind: 'busy'; readonly error: unknown };

/**
 * The one agent-removal step of provision, reap and ops: deregisters the agent at its CI, judged by
 * `deregisteredOrRefused`, then deletes its pod if asked. The CI first: a runner made for one job may
 * have taken another of its repository or project (GitHub, GitLab), and a CI that says the agent runs
 * a job keeps its pod, which ends with that job, rather than cut the job short. What to do when the
 * CI keeps the agent (keep the slot, keep the pod, throw, log and let go) is each caller's decision.
 */
export async function removeAgent(ports: RemoveAgentPorts, target: AgentToRemove): Promise<AgentRemoval> {
  const { agent, adapter } = target;
  if (!adapter) leftAtUnconfiguredCi(ports.logger, agent.agentName, agent.details.source);
  let failure: { error: unknown } | undefined;
  const forgotten =
    !adapter ||
    (await deregisteredOrRefused(
      ports.logger,
      agent.agentName,
      adapter
        .deregisterAgent(target.evenIfBusy ? { ...agent, evenIfBusy: true } : agent)
        .catch((error: unknown) => {
          failure = { error };
          throw error;
        }),
    ));
  const busy = failure?.error instanceof CiAgentBusyError;
  if (busy && !target.evenIfBusy) return { kind: 'busy', error: failure?.error };
  if (target.pod === 'delete') await ports.agents.deletePod(ports.namespace, agent.agentName);
  if (target.pod === 'try-delete')
    await ports.agents.deletePod(ports.namespace, agent.agentName).catch(() => undefined);
  if (!failure) return { kind: 'forgotten' };
  // Busy, but going anyway: the CI lists the agent until it sees it gone, as after a refusal.
  return forgotten || busy
    ? { kind: 'refused', error: failure.error }
    : { kind: 'kept', error: failure.error };
}

/** True when the CI no longer lists the agent as far as the caller cares (`deregisteredOrRefused`). */
export const ciForgot = (removal: AgentRemoval): boolean =>
  removal.kind !== 'kept' && removal.kind !== 'busy';

/**
 * Logs an agent left registered at a CI the config no longer has (its section removed while its
 * builds ran, docs/deploy.md): no function holds that CI's code or credentials any more, so the
 * operator removes it there (a Jenkins node, a GitLab runner, a GitHub runner); until then an agent
 * that knows its name and secret could still connect under it.
 */
export function leftAtUnconfiguredCi(logger: LoggerPort, agentName: string, source: string): void {
  logger.error('agent left at a CI the config no longer has: remove it there by hand', {
    agentName,
    source,
  });
}
