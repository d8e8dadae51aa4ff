import { parseOpsEvent, type OpsAction } from './event';
import type { OpsPorts } from './ports';

/** What every action answers: its name, then its own result (docs/operations.md shows each). */
export type OpsResult = { readonly action: OpsAction } & Record<string, unknown>;

/**
 * The actions' code, loaded by the first invocation rather than at cold start. One chunk for them all
 * (the reaper's `reconcile` apart, which alone loads the reaper): one dynamic import per action made
 * esbuild split the little code they share with the handler into a chunk per combination, and each
 * file a cold start loads costs about half a millisecond (docs/performance.md).
 */
const actions = () => import('./actions');

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
        return (await actions()).status(ports);
      case 'list':
        return (await actions()).list(parsed, ports);
      case 'describe':
        return (await actions()).describe(parsed, ports);
      case 'drain':
        return (await actions()).drain(ports);
      case 'resume':
        return (await actions()).resume(ports);
      case 'reconcile':
        await ports.loadSources();
        return { report: await (await import('../reap/reap')).reap(ports, { force: parsed.force }) };
      case 'cancel':
        await ports.loadSources();
        return (await actions()).cancel(parsed.requestId, ports);
      case 'retry':
        return (await actions()).retry(parsed.requestId, ports);
      case 'redrive':
        return (await actions()).redrive(parsed.max, ports);
      case 'caps':
        return (await actions()).caps(parsed, ports);
    }
  })();
  return { action: parsed.action, ...result };
}
