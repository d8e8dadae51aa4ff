import { byTemplate } from '../../capacity/by-template';
import { isPodMadeFor } from '../../templates/labels';
import { ForeignPodError, RetryLaterError } from '../errors';
import type { SlotRequest } from '../../ports/capacity-store';
import type { Prepared } from '../prepare-batch';
import { attemptLog, type Attempt, type ProvisionPorts, type StepOutcome } from '../types';
import { markWaiting } from './without-agent';

/**
 * A resumed request (it holds its slot already): claims the attempt. Another attempt holding it may
 * still be making its agent (a duplicate message, or one delivered again while the first still runs):
 * making credentials now would replace the ones it is about to hand its pod (a GitHub JIT runner is
 * single-use), so this one comes back after it (throws `RetryLaterError`), or lets go on the last try.
 */
export async function claimAttempt(attempt: Attempt, ports: ProvisionPorts): Promise<StepOutcome> {
  if (await ports.requests.claimAttempt(attempt.record.requestId, attempt.attemptSeconds))
    return { kind: 'next' };
  const reason = 'another attempt is making this agent';
  if (attempt.lastAttempt) return { kind: 'done', outcome: { kind: 'skipped', reason } };
  throw new RetryLaterError(`${reason}; trying again after it`);
}

/** The slot an attempt takes: the caps the operator set at run time, else the config's. */
export function slotOf(attempt: Attempt, ports: ProvisionPorts): SlotRequest {
  const { record, template, podName, runtime } = attempt;
  return {
    requestId: record.requestId,
    template: template.name,
    podName,
    attempts: record.attempts,
    globalCap: runtime.globalCap ?? ports.config.capacity.globalCap,
    templateCap: byTemplate(runtime.templateCaps, template.name) ?? template.instanceCap,
    attemptSeconds: attempt.attemptSeconds,
  };
}

/** A new request: takes its slot (unless its batch did already), or it waits at a cap. */
export async function reserveSlot(
  attempt: Attempt,
  prepared: Prepared | undefined,
  ports: ProvisionPorts,
): Promise<StepOutcome> {
  const { record, template, podName } = attempt;
  const log = attemptLog(ports, record);
  if (prepared?.reserved) {
    log('slot reserved with its batch', { template: template.name, podName });
    return { kind: 'next' };
  }
  const reservation = await ports.capacity.reserve(slotOf(attempt, ports));
  if (!reservation.reserved) {
    if (reservation.reason === 'request-moved')
      return { kind: 'done', outcome: { kind: 'skipped', reason: 'another provisioner took this request' } };
    const cap = reservation.reason === 'global-cap' ? 'global' : `'${template.name}'`;
    return { kind: 'done', outcome: await markWaiting(record, `at the ${cap} cap`, ports) };
  }
  log('slot reserved', { template: template.name, podName });
  return { kind: 'next' };
}

/**
 * Resuming: looks for the pod a previous attempt may have made. `adoptable` when it got as far as the
 * pod and its Secret (new credentials would orphan the ones the pod runs with: a GitHub JIT runner is
 * single-use), `make` otherwise. A pod of that name not made for this request throws `ForeignPodError`.
 */
export async function resumeAttempt(
  attempt: Attempt,
  ports: ProvisionPorts,
): Promise<{ readonly kind: 'adoptable' } | { readonly kind: 'make' }> {
  const existing = await ports.agents.findAgent(ports.config.namespace, attempt.podName);
  const madeForThis = { requestId: attempt.record.requestId, template: attempt.template.name };
  if (existing.pod && !isPodMadeFor(existing.pod, madeForThis)) {
    attempt.podCreated = false; // not ours: never deleted, and it holds no slot of ours
    throw new ForeignPodError(ports.config.namespace, attempt.podName);
  }
  if (existing.pod && existing.hasSecret) return { kind: 'adoptable' };
  attempt.podCreated = existing.pod !== undefined;
  return { kind: 'make' };
}
