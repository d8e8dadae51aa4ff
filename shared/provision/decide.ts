import type { RequestRecord } from '../requests/record';
import { isTerminal } from '../requests/record';

/** What to do with one provision message, decided from the record alone (pure). */
export type ProvisionDecision =
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'wait'; readonly reason: string }
  | { readonly kind: 'reserve' }
  /** A previous attempt reserved a slot and then stopped: carry on without reserving again. */
  | { readonly kind: 'resume' }
  /** The CI ended the build: remove its agent, then give the slot back (finish-request.ts). */
  | { readonly kind: 'finish' };

export function decideProvision(record: RequestRecord | undefined, drained: boolean): ProvisionDecision {
  if (!record) return { kind: 'skip', reason: 'no such request (never recorded, or expired)' };
  if (isTerminal(record.status)) return { kind: 'skip', reason: `request is ${record.status}` };
  // Before the drain check: removing an ended build's agent frees capacity, drained or not.
  if (record.status === 'ending') return { kind: 'finish' };
  if (record.status === 'provisioned' || record.status === 'started')
    return { kind: 'skip', reason: `agent already ${record.status}` };
  if (record.status === 'provisioning' && record.holdsSlot) return { kind: 'resume' };
  if (drained) return { kind: 'wait', reason: 'provisioning is drained' };
  return { kind: 'reserve' };
}
