import { CiError } from './errors';
import type { BuildEvent } from './types';

/** Where a poll says that the CI refused one of its repositories, projects or pipelines for good. */
export type PollRefused = (error: CiError) => void;

/**
 * Polls each of a CI's repositories (projects, pipelines) in turn, one request after another. A
 * refusal for good of one (it is gone, or the credentials cannot see it) goes to `refused` and the
 * others are still polled: one deleted repository must not hide every other's lost builds. A passing
 * failure (a rate limit, which every repository shares; an outage) ends the poll and is thrown, so
 * no further request is made; so is any failure when nobody takes refusals.
 */
export async function pollEach<Item>(
  items: readonly Item[],
  pollOne: (item: Item) => Promise<BuildEvent[]>,
  refused?: PollRefused,
): Promise<BuildEvent[]> {
  const events: BuildEvent[] = [];
  for (const item of items) {
    try {
      events.push(...(await pollOne(item)));
    } catch (error) {
      if (!refused || !(error instanceof CiError) || error.retryable) throw error;
      refused(error);
    }
  }
  return events;
}
