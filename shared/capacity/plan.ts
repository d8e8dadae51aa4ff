import { byTemplate } from './by-template';
import type { CounterMarks, CounterName, CounterSnapshot } from '../ports/capacity-store';
import type { RequestRecord } from '../requests/record';

export interface CapacityLimits {
  readonly globalCap: number;
  readonly templateCaps: Readonly<Record<string, number>>;
}

/** The counters as they should be: one slot per request that holds one. */
export function expectedCounters(holders: readonly RequestRecord[]): CounterSnapshot {
  const templates: Record<string, number> = {};
  for (const record of holders)
    if (record.holdsSlot && record.template)
      templates[record.template] = (byTemplate(templates, record.template) ?? 0) + 1;
  return { global: Object.values(templates).reduce((sum, used) => sum + used, 0), templates };
}

export interface CounterRepair {
  readonly counter: CounterName;
  readonly observed: number;
  readonly expected: number;
}

/** Which counters differ from what they should be. */
export function counterRepairs(observed: CounterSnapshot, expected: CounterSnapshot): CounterRepair[] {
  const repairs: CounterRepair[] = [];
  if (observed.global !== expected.global)
    repairs.push({ counter: 'global', observed: observed.global, expected: expected.global });
  const names = new Set([...Object.keys(observed.templates), ...Object.keys(expected.templates)]);
  for (const name of [...names].sort()) {
    const was = byTemplate(observed.templates, name) ?? 0;
    const should = byTemplate(expected.templates, name) ?? 0;
    if (was !== should) repairs.push({ counter: { template: name }, observed: was, expected: should });
  }
  return repairs;
}

/** A counter's mark (its `changes`, or its `driftSeen`), if it has one. */
export const markOf = (marks: CounterMarks | undefined, counter: CounterName): number | undefined =>
  counter === 'global' ? marks?.global : byTemplate(marks?.templates ?? {}, counter.template);

/**
 * Waiting requests to wake, oldest first (by creation) and fair across templates: one per template in turn, within
 * each template's free slots and the global free slots. Provisioning still reserves atomically, so a
 * wrong guess here only costs a message.
 */
export function planWake(
  waiting: readonly RequestRecord[],
  used: CounterSnapshot,
  limits: CapacityLimits,
): RequestRecord[] {
  let globalFree = limits.globalCap - used.global;
  const free = new Map<string, number>();
  const queues = new Map<string, RequestRecord[]>();
  // By when the build was first queued, not when it last changed state, so a request that keeps
  // losing the race after being woken does not go to the back of the line.
  for (const record of [...waiting].sort((a, b) => a.createdAt.localeCompare(b.createdAt))) {
    const template = record.template ?? '';
    if (!free.has(template))
      free.set(
        template,
        (byTemplate(limits.templateCaps, template) ?? 0) - (byTemplate(used.templates, template) ?? 0),
      );
    queues.set(template, [...(queues.get(template) ?? []), record]);
  }
  const woken: RequestRecord[] = [];
  let progressed = true;
  while (globalFree > 0 && progressed) {
    progressed = false;
    for (const [template, queue] of queues) {
      if (globalFree <= 0) break;
      const next = (free.get(template) ?? 0) > 0 ? queue.shift() : undefined;
      if (!next) continue;
      woken.push(next);
      free.set(template, (free.get(template) ?? 0) - 1);
      globalFree -= 1;
      progressed = true;
    }
  }
  return woken;
}

/**
 * Over a lowered cap: which pending pods to give up, newest first, never running ones unless forced.
 * `holders` are the requests holding a template's slots, with whether their pod is still pending,
 * and whether an attempt may still be making it (`making`): such a one is never given up, forced or
 * not, as the attempt would make its pod anyway, for a request that then holds no slot (bug 33).
 */
export function planTrim(
  holders: readonly { record: RequestRecord; pending: boolean; making?: boolean; createdAtMs: number }[],
  cap: number,
  force: boolean,
): RequestRecord[] {
  const excess = holders.length - cap;
  if (excess <= 0) return [];
  const newestFirst = [...holders]
    .filter((holder) => !holder.making)
    .sort((a, b) => b.createdAtMs - a.createdAtMs);
  const pending = newestFirst.filter((holder) => holder.pending);
  const running = newestFirst.filter((holder) => !holder.pending);
  return [...pending, ...(force ? running : [])].slice(0, excess).map((holder) => holder.record);
}
