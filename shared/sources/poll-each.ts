import { CiError } from './errors';
import type { BuildEvent } from './types';

/**
 * Where a poll reports what stopped part of it: a refusal for good of one of a CI's repositories,
 * projects or pipelines (the others are still polled), or a passing failure that ended the poll (what
 * was read before it is still returned). `error.retryable` tells the two apart.
 */
export type PollProblem = (error: CiError) => void;

/**
 * Polls each of a CI's repositories (projects, pipelines) in turn, one request after another. A
 * refusal for good of one (it is gone, or the credentials cannot see it) goes to `problem` and the
 * others are still polled: one deleted repository must not hide every other's lost builds. A passing
 * failure (a rate limit, which every repository shares; an outage) goes to `problem` and ends the
 * poll, so no further request is made, and the builds found before it are returned: a rate limit met
 * half-way must not throw away the half that was read. With nobody to take problems, any failure is
 * thrown.
 */
export async function pollEach<Item>(
  items: readonly Item[],
  pollOne: (item: Item) => Promise<BuildEvent[]>,
  problem?: PollProblem,
): Promise<BuildEvent[]> {
  const events: BuildEvent[] = [];
  for (const item of items) {
    try {
      events.push(...(await pollOne(item)));
    } catch (error) {
      if (!problem || !(error instanceof CiError)) throw error;
      problem(error);
      if (error.retryable) break;
    }
  }
  return events;
}
