import { parseOpsEvent, type OpsAction } from './event';
import type { OpsPorts } from './ports';

/** What every action answers: its name, then its own result (docs/operations.md shows each). */
export type OpsResult = { readonly action: OpsAction } & Record<string, unknown>;

/**
 * Runs one operator action. The event is parsed first (an `OpsInputError` names the bad field and
 * nothing is changed); expected failures are `OpsError`s (not found, conflict), anything else is a
 * fault of a server behind the function. Each action's code is loaded when it runs (a chunk of its
 * own in the bundle): an invocation runs one, so a cold start parses no other (ops `reconcile` alone
 * loads the reaper).
 */
export async function runOpsAction(event: unknown, ports: OpsPorts): Promise<OpsResult> {
  const parsed = parseOpsEvent(event);
  const result = await (async (): Promise<object> => {
    switch (parsed.action) {
      case 'status':
        return (await import('./status')).status(ports);
      case 'list':
        return (await import('./inspect')).list(parsed, ports);
      case 'describe':
        return (await import('./inspect')).describe(parsed, ports);
      case 'drain':
        return (await import('./control')).drain(ports);
      case 'resume':
        return (await import('./control')).resume(ports);
      case 'reconcile':
        return { report: await (await import('../reap/reap')).reap(ports, { force: parsed.force }) };
      case 'cancel':
        return (await import('./requests')).cancel(parsed.requestId, ports);
      case 'retry':
        return (await import('./requests')).retry(parsed.requestId, ports);
      case 'redrive':
        return (await import('./redrive')).redrive(parsed.max, ports);
      case 'caps':
        return (await import('./control')).caps(parsed, ports);
    }
  })();
  return { action: parsed.action, ...result };
}
