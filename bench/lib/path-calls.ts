import type { AwsCall } from '../../infra/local/stand-ins/aws-fault-proxy';
import { median, round } from './stats';

/** One build's path, in the clock the proxies stamp calls with (ms since the epoch). */
export interface PathWindow {
  readonly start: number;
  readonly end: number;
}

/**
 * A call every build's path made: when the proxy had it (ms after the build started) and the proxy's
 * round trip to the server for it, which is the server's time (the proxy is a local pass-through).
 */
export interface PathCall {
  /** e.g. `PutItem#2`: the second PutItem of a build's path. */
  readonly call: string;
  readonly atMs: number;
  readonly serverMs: number;
}

/**
 * Where the time of a path goes, from the counting proxies' own stamps: for each call the builds'
 * paths made (the n-th call of an operation within a build's window), the median moment it reached
 * DynamoDB or SQS and the median time the server took to answer it (of the builds whose call has
 * an answer's time). A call only some builds made (a retry, the previous build's tail) is left out.
 * Sorted by when it is made.
 */
export function callsOnPath(calls: readonly AwsCall[], windows: readonly PathWindow[]): PathCall[] {
  const seen = new Map<string, { at: number[]; server: number[] }>();
  for (const window of windows) {
    const ordinal = new Map<string, number>();
    const inside = calls
      .filter((call) => call.at !== undefined && call.at >= window.start && call.at <= window.end)
      .sort((a, b) => (a.at ?? 0) - (b.at ?? 0));
    for (const call of inside) {
      const n = (ordinal.get(call.operation) ?? 0) + 1;
      ordinal.set(call.operation, n);
      const entry = seen.get(`${call.operation}#${n}`) ?? { at: [], server: [] };
      entry.at.push((call.at ?? 0) - window.start);
      if (call.upstreamMs !== undefined) entry.server.push(call.upstreamMs);
      seen.set(`${call.operation}#${n}`, entry);
    }
  }
  return [...seen]
    .filter(([, entry]) => entry.at.length === windows.length && entry.server.length > 0)
    .map(([call, entry]) => ({
      call,
      atMs: round(median(entry.at), 1),
      serverMs: round(median(entry.server), 1),
    }))
    .sort((a, b) => a.atMs - b.atMs);
}

/** `PutItem#1 at 3.7 (4.3), ...`, times in ms: a path's calls for a table note. */
export const describePath = (path: readonly PathCall[]): string =>
  path.map(({ call, atMs, serverMs }) => `${call} at ${atMs} (${serverMs})`).join(', ');
