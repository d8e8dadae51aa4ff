import { CiError } from './errors';
import type { BuildEvent } from './types';

/**
 * Where a poll reports what stopped part of it: a refusal for good of one of a CI's repositories,
 * projects or pipelines (the others are still polled), or a passing failure that ended the poll (what
 * was read before it is still returned). `error.retryable` tells the two apart.
 */
export type PollProblem = (error: CiError) => void;

/** One item's poll that a passing failure cut short (a later page): what it read, and the failure. */
export interface CutShort {
  readonly events: readonly BuildEvent[];
  readonly stoppedBy: CiError;
}

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
  pollOne: (item: Item) => Promise<readonly BuildEvent[] | CutShort>,
  problem?: PollProblem,
): Promise<BuildEvent[]> {
  const events: BuildEvent[] = [];
  for (const item of items) {
    let failure: unknown;
    try {
      const polled = await pollOne(item);
      if (!('stoppedBy' in polled)) {
        events.push(...polled);
        continue;
      }
      // What the item's first pages gave counts; its failure ends the poll as any other would.
      events.push(...polled.events);
      failure = polled.stoppedBy;
    } catch (error) {
      failure = error;
    }
    if (!problem || !(failure instanceof CiError)) throw failure;
    problem(failure);
    if (failure.retryable) break;
  }
  return events;
}

/**
 * An item's poll whose requests add events to `found` as they go: a CI's failure once some were found
 * is a CutShort with them (pollEach counts them, and ends the poll at a passing failure or polls the
 * next item after a refusal); any other failure, or one before anything was found, is thrown.
 */
export async function keepingFound(
  poll: (found: BuildEvent[]) => Promise<void>,
): Promise<BuildEvent[] | CutShort> {
  const found: BuildEvent[] = [];
  try {
    await poll(found);
    return found;
  } catch (error) {
    if (found.length > 0 && error instanceof CiError) return { events: found, stoppedBy: error };
    throw error;
  }
}

/**
 * A poll's fetch that makes no request once an answer left the CI's rate-limit window nearly spent
 * (`spent` says so, with the error to stop with): that answer is used, and the next request throws,
 * which ends the poll (pollEach) with what was read.
 */
export function keepingReserve<
  Call extends { readonly purpose: string },
  Answer extends { readonly status: number },
>(
  fetch: (call: Call) => Promise<Answer>,
  spent: (answer: Answer, purpose: string) => CiError | undefined,
): {
  readonly fetch: (call: Call) => Promise<Answer>;
  /** Throws once the reserve is reached: for a poll's other calls to its CI (a GitHub App's token). */
  readonly ensureOpen: () => void;
} {
  let stopped: CiError | undefined;
  const ensureOpen = (): void => {
    if (stopped) throw stopped;
  };
  return {
    ensureOpen,
    fetch: async (call) => {
      ensureOpen();
      const answer = await fetch(call);
      if (answer.status === 200) stopped = spent(answer, call.purpose);
      return answer;
    },
  };
}
