import type { LoggerPort } from '../ports/logger';
import type { ProvisionQueue } from '../ports/provision-queue';
import { fromStatesOf } from '../requests/transitions';
import type { CapacityStore } from '../state/capacity-store';
import type { RequestStore } from '../state/request-store';
import { planWake, type CapacityLimits } from './plan';

export interface WakePorts {
  readonly requests: Pick<RequestStore, 'listByStatus' | 'transition'>;
  readonly capacity: Pick<CapacityStore, 'readCounters'>;
  readonly queue: Pick<ProvisionQueue, 'send'>;
  readonly logger: LoggerPort;
}

/**
 * Moves waiting requests back to queued and enqueues them, oldest first and fair across templates,
 * as far as the free capacity goes (at most `max`). Called by the reaper, and by the webhook when a
 * completion frees a slot, so waiting work starts at once rather than a minute later.
 */
export async function wakeWaiting(
  ports: WakePorts,
  limits: CapacityLimits,
  max = Number.POSITIVE_INFINITY,
): Promise<string[]> {
  // A bounded look at the oldest waiting requests: enough to fill what is free, cheap on a webhook.
  // One this code cannot read (another release wrote it) is not woken here; the others are.
  const waiting = await ports.requests.listByStatus(
    'waiting',
    Number.isFinite(max) ? Math.max(10, max * 10) : undefined,
    ({ requestId, problem }) =>
      ports.logger.error('request unreadable by this release: not woken', { requestId, problem }),
  );
  if (waiting.length === 0) return [];
  const plan = planWake(waiting, await ports.capacity.readCounters(), limits).slice(0, max);
  const woken: string[] = [];
  for (const record of plan) {
    const moved = await ports.requests.transition(record.requestId, fromStatesOf('wake'), 'queued', {
      reason: 'capacity freed',
    });
    if (!moved) continue;
    // If this send fails the request stays queued, and the reaper re-sends stale queued requests.
    await ports.queue.send({ requestId: record.requestId });
    woken.push(record.requestId);
  }
  if (woken.length > 0) ports.logger.info('woke waiting requests', { count: woken.length });
  return woken;
}
