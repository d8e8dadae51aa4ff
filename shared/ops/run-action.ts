import { reap } from '../reap/reap';
import { caps, drain, resume } from './control';
import { parseOpsEvent, type OpsAction } from './event';
import { describe, list } from './inspect';
import type { OpsPorts } from './ports';
import { redrive } from './redrive';
import { cancel, retry } from './requests';
import { status } from './status';

/** What every action answers: its name, then its own result (docs/operations.md shows each). */
export type OpsResult = { readonly action: OpsAction } & Record<string, unknown>;

/**
 * Runs one operator action. The event is parsed first (an `OpsInputError` names the bad field and
 * nothing is changed); expected failures are `OpsError`s (not found, conflict), anything else is a
 * fault of a server behind the function.
 */
export async function runOpsAction(event: unknown, ports: OpsPorts): Promise<OpsResult> {
  const parsed = parseOpsEvent(event);
  const result = await (async (): Promise<object> => {
    switch (parsed.action) {
      case 'status':
        return status(ports);
      case 'list':
        return list(parsed, ports);
      case 'describe':
        return describe(parsed, ports);
      case 'drain':
        return drain(ports);
      case 'resume':
        return resume(ports);
      case 'reconcile':
        return { report: await reap(ports, { force: parsed.force }) };
      case 'cancel':
        return cancel(parsed.requestId, ports);
      case 'retry':
        return retry(parsed.requestId, ports);
      case 'redrive':
        return redrive(parsed.max, ports);
      case 'caps':
        return caps(parsed, ports);
    }
  })();
  return { action: parsed.action, ...result };
}
