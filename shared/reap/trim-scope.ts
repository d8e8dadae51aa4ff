import { byTemplate } from '../capacity/by-template';
import type { CounterSnapshot } from '../state/capacity-store';

/** The caps a run reads (the config's, with an operator's overrides) beside the counters it read. */
export interface CapsRead {
  readonly caps: Readonly<Record<string, number>>;
  readonly globalCap: number;
  readonly counters: CounterSnapshot;
}

/**
 * Whether a counter is over its cap: only then has the trim (./trim.ts) anything to give up. It gives
 * up no more than a counter is over, so a run that finds none over loads none of it.
 */
export const overCap = ({ caps, globalCap, counters }: CapsRead): boolean =>
  counters.global > globalCap ||
  Object.entries(caps).some(([template, cap]) => (byTemplate(counters.templates, template) ?? 0) > cap);
