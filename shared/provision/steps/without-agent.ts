import type { RequestRecord } from '../../requests/record';
import { fromStatesOf } from '../../requests/transitions';
import type { ProvisionOutcome, ProvisionPorts } from '../types';

/** The request waits (at a cap, or while drained) for a wake to enqueue it again. */
export async function markWaiting(
  record: RequestRecord,
  reason: string,
  ports: ProvisionPorts,
): Promise<ProvisionOutcome> {
  const waiting = await ports.requests.transition(record.requestId, fromStatesOf('wait'), 'waiting', {
    reason,
  });
  // Another attempt moved it on meanwhile (its own slot may be what filled the cap): nothing waits,
  // and saying `waiting` would count a wait that did not happen.
  if (!waiting)
    return { kind: 'skipped', reason: `request ${record.requestId} moved on before it could wait` };
  ports.logger.info('request waiting', { requestId: record.requestId, jobKey: record.jobKey, reason });
  return { kind: 'waiting', reason };
}

/** Fails a request before any agent was made for it (its template is gone), giving back a slot it holds. */
export async function failWithoutSlot(
  record: RequestRecord,
  reason: string,
  ports: ProvisionPorts,
): Promise<ProvisionOutcome> {
  if (record.holdsSlot && record.template)
    await ports.capacity.release(record.requestId, record.template, 'failed', reason);
  else
    await ports.requests.transition(record.requestId, fromStatesOf('fail-without-slot'), 'failed', {
      reason,
    });
  return { kind: 'failed', reason };
}
