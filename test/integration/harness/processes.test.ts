import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster } from '../../../infra/local/kube/cluster';
import { ServerStartError } from '../../../infra/local/errors';
import { startProcess } from '../../../infra/local/process';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}

describe('local server processes', () => {
  it('a cluster leaves no process behind after stop()', async () => {
    const cluster = await startCluster({ nodes: 1 });
    try {
      expect(cluster.pids).toHaveLength(5);
      expect(cluster.pids.every(isAlive)).toBe(true);
    } finally {
      // Stopped even when a check fails: a second control plane left running slows every later test.
      await cluster.stop();
    }
    expect(cluster.pids.filter(isAlive)).toEqual([]);
    // A second control plane beside the suite's: kube-apiserver alone may take two minutes on a busy machine.
  }, 300_000);

  it('a server whose parent is SIGKILLed is ended by its watchdog', async () => {
    const parent = spawn('npx', ['tsx', 'test/fixtures/orphan-parent.ts'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(parent.stdout, 'data')) as [Buffer];
    const childPid = Number(line.toString().trim());
    expect(isAlive(childPid)).toBe(true);
    // Kill the whole npx -> tsx -> node chain at once, as a crashed test runner would die.
    spawn('pkill', ['-KILL', '-f', 'test/fixtures/orphan-parent.ts']);
    expect(await waitUntilGone(childPid, 10_000)).toBe(true);
  });

  it('a server that exits before it is ready is reported with its log file', async () => {
    await expect(
      startProcess({
        name: 'doomed',
        command: 'sh',
        args: ['-c', 'echo boom; exit 3'],
        logFile: '/tmp/pitcrew-doomed.log',
        isReady: async () => false,
      }),
    ).rejects.toThrow(
      new ServerStartError('doomed', '/tmp/pitcrew-doomed.log', 'it exited with code 3 before it was ready'),
    );
  });
});
