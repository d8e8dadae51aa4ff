import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CiSource } from '../../../shared/sources';
import { signedHeadersFor } from '../../../shared/sources/signing';
import { localCis } from '../stand-ins/local-cis';
import type { DevInfo } from '../dev/run-dev';
import { invokeOps, readDevInfo } from './invoke-ops';
import { paint } from './table';

interface DemoBuild {
  readonly source: CiSource;
  readonly body: unknown;
  readonly headers: Record<string, string>;
}

type DemoAction = 'queued' | 'started' | 'completed';

/** A CI's delivery for the demo's build (its kit's: infra/local/stand-ins/local-ci/). */
function demoBuild(kit: (typeof localCis)[number], id: number, action: DemoAction): DemoBuild {
  return { source: kit.name, ...kit.delivery(id, action) };
}

async function send(
  build: DemoBuild,
  info: DevInfo,
): Promise<{ status: number; answer: Record<string, unknown> }> {
  const body = JSON.stringify(build.body);
  const response = await fetch(info.webhookUrls[build.source] ?? '', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...signedHeadersFor(build.source, body, info.secrets[build.source] ?? ''),
      ...build.headers,
    },
    body,
  });
  return { status: response.status, answer: (await response.json()) as Record<string, unknown> };
}

interface Progress {
  readonly status: string;
  readonly pod?: string;
}

async function progressOf(requestId: string): Promise<Progress> {
  const answer = await invokeOps({ action: 'describe', requestId }, {});
  if (!answer.ok) return { status: `unknown (${answer.message})` };
  const result = answer.result as unknown as {
    request: { status: string; podName?: string };
    pod?: { phase: string };
  };
  const podName = result.request.podName;
  return {
    status: result.request.status,
    ...(podName ? { pod: result.pod ? `${podName} ${result.pod.phase}` : `${podName} deleted` } : {}),
  };
}

interface Tracked {
  readonly kit: (typeof localCis)[number];
  readonly source: string;
  last: string;
  /** What the CI has said of the build so far. */
  told: DemoAction;
}

/**
 * What each CI does once its agent runs: its agent takes the build (`started`), runs it, and it ends
 * (`completed`), each told to Pitcrew by the CI's own webhook. Without them a GitHub or GitLab build
 * whose agent exited would look, to the reaper, like one whose runner ran another job.
 */
async function playTheCi(entry: Tracked, progress: Progress, id: number, info: DevInfo): Promise<void> {
  const done = progress.pod?.endsWith(' Succeeded') ?? false;
  if (entry.told === 'queued' && (done || (progress.pod?.endsWith(' Running') ?? false))) {
    await send(demoBuild(entry.kit, id, 'started'), info);
    entry.told = 'started';
  }
  if (entry.told === 'started' && done) {
    await send(demoBuild(entry.kit, id, 'completed'), info);
    entry.told = 'completed';
  }
}

const ended = (progress: Progress): boolean =>
  ['completed', 'failed', 'cancelled'].includes(progress.status) &&
  (progress.pod?.endsWith('deleted') ?? true);

/**
 * `pitcrew demo`: sends a signed queued webhook for each CI to the running `pitcrew dev`, then
 * follows each request until kwok has finished its pod and the reaper has removed it. Returns the
 * exit code: 0 when every CI's build ran and was cleaned up within `timeoutMs`.
 */
export async function runDemo(print: (line: string) => void, timeoutMs = 240_000): Promise<number> {
  const dev = readDevInfo();
  if (!dev.ok) {
    print(dev.message);
    return 1;
  }
  const tracked = new Map<string, Tracked>();
  const width = Math.max(...localCis.map((kit) => kit.name.length));
  const id = randomInt(1_000_000, 9_999_999);
  for (const kit of localCis) {
    const build = demoBuild(kit, id, 'queued');
    const { status, answer } = await send(build, dev.info);
    print(`${build.source.padEnd(width)} webhook -> ${status} ${JSON.stringify(answer)}`);
    if (status === 202 && typeof answer.requestId === 'string')
      tracked.set(answer.requestId, { kit, source: build.source, last: '', told: 'queued' });
  }
  if (tracked.size !== localCis.length) {
    print(paint('red', 'not every webhook was accepted: is the config `pitcrew dev` wrote still in place?'));
    return 1;
  }
  print(
    'following the requests (kwok runs each agent for 30 s; the CI is told the build started, then ended, and its pod goes) ...',
  );
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let done = 0;
    for (const [requestId, entry] of tracked) {
      const progress = await progressOf(requestId);
      const line = `${progress.status}${progress.pod ? ` (pod ${progress.pod})` : ''}`;
      if (line !== entry.last) {
        print(`${entry.source.padEnd(width)} ${requestId}  ${line}`);
        entry.last = line;
      }
      await playTheCi(entry, progress, id, dev.info);
      if (ended(progress)) done += 1;
    }
    if (done === tracked.size) {
      const failed = [...tracked.values()].filter((entry) => !entry.last.startsWith('completed'));
      print(
        failed.length === 0
          ? paint('green', `all ${tracked.size} builds ran on their own agent pod, and every pod is gone.`)
          : paint('red', `${failed.length} build(s) did not complete: see \`pitcrew describe <request-id>\``),
      );
      return failed.length === 0 ? 0 : 1;
    }
    await sleep(2000);
  }
  print(
    paint('red', `not finished after ${timeoutMs / 1000} s: see \`pitcrew status\` and \`pitcrew list\``),
  );
  return 1;
}
