import type { SourceRegistry } from '../sources/types';

/**
 * Whether any configured CI is set to poll for lost builds (its adapter has `listQueuedBuilds`:
 * `pollQueue`, `pollRepositories`, `pollProjects` or `pollPipelines` in its config section).
 */
export const anyCiPolls = (sources: SourceRegistry): boolean =>
  Object.values(sources).some((source) => source?.adapter.listQueuedBuilds !== undefined);

/**
 * The reaper polls every CI set to poll on every run. When one is, its cold start loads the polling
 * code that the adapters import on demand (../sources/pollers.ts), so that work is done, and
 * measured, where the reaper starts rather than in its first run. With none set to poll, the
 * default, nothing loads it. Provision and ops never poll.
 */
export async function loadPollingIfAnyPolls(sources: SourceRegistry): Promise<void> {
  if (anyCiPolls(sources)) await import('../sources/pollers');
}
