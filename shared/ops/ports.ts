import type { ReapPorts } from '../reap/reap';
import type { RequestQueries } from '../state/request-queries';

/** What the ops actions reach: everything the reaper does (reconcile runs it), the read side, the DLQ. */
export interface OpsPorts extends ReapPorts {
  readonly queries: RequestQueries;
  readonly dlqUrl: string;
}
