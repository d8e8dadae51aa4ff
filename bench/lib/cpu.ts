import { readdirSync, readFileSync } from 'node:fs';

/** The parts of the local system whose CPU time the bench tells apart. */
const kinds = [
  ['DynamoDB Local', /DynamoDBLocal|dynamodb-local/],
  ['ElasticMQ', /elasticmq/],
  ['kube-apiserver', /kube-apiserver/],
  ['etcd', /\betcd-v/],
  ['kwok, scheduler, controllers', /kwok|kube-scheduler|kube-controller-manager/],
  // The bench's own instrument (bench/lib/counting-proxy.ts), in processes of their own.
  ['bench counting proxies', /counting-proxy-process/],
] as const;

// Linux reports process times in clock ticks; USER_HZ is 100 on every Linux Node runs on here.
const ticksPerSecond = 100;

function readProc(pid: string): { ppid: number; cpuSeconds: number; cmdline: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, inside parentheses): see proc(5).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    return {
      ppid: Number(fields[1]),
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond,
      cmdline,
    };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by this process (Pitcrew's functions, the bench) and by each local
 * server it started (its descendants in /proc). Differences between two readings show what a
 * measure spent its CPU on. Read from /proc rather than with a library: a few lines, Linux only,
 * which is where the bench runs; elsewhere it returns this process alone.
 */
export function cpuSeconds(): Record<string, number> {
  const usage = process.cpuUsage();
  const totals: Record<string, number> = {
    'Pitcrew (Node: functions, bench)': (usage.user + usage.system) / 1e6,
  };
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return totals;
  }
  const procs = new Map(
    entries.flatMap((pid) => {
      const info = readProc(pid);
      return info ? [[Number(pid), info] as const] : [];
    }),
  );
  const isDescendant = (pid: number): boolean => {
    for (
      let current = procs.get(pid)?.ppid, hops = 0;
      current && hops < 10;
      current = procs.get(current)?.ppid, hops++
    )
      if (current === process.pid) return true;
    return false;
  };
  for (const [pid, info] of procs) {
    if (!isDescendant(pid)) continue;
    const kind = kinds.find(([, pattern]) => pattern.test(info.cmdline))?.[0];
    if (kind) totals[kind] = (totals[kind] ?? 0) + info.cpuSeconds;
  }
  return totals;
}

/** What each part spent between two readings, in CPU seconds, biggest first. */
export function cpuSpent(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([kind, seconds]) => [kind, Number((seconds - (before[kind] ?? 0)).toFixed(2))] as const)
      .sort((a, b) => b[1] - a[1]),
  );
}
