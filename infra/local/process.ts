import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServerStartError } from './errors';

export interface ProcessSpec {
  /** Human name used in messages ("etcd", "ElasticMQ"). */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** stdout and stderr go here, so a failed start can point at the output. */
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Resolves true once the server answers; polled until `readyTimeoutMs`. */
  readonly isReady: () => Promise<boolean>;
  readonly readyTimeoutMs?: number;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Last line of defence against stray servers when the test runner or `pitcrew dev` dies:
 * kill every child synchronously on exit. A SIGKILLed parent cannot run this, so each child
 * also gets a watchdog (below).
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/**
 * A tiny detached shell that kills `childPid` once `parentPid` is gone. Go servers do not die with
 * their parent and Node cannot set PR_SET_PDEATHSIG, so this is what keeps a SIGKILLed test run from
 * leaving etcd or kube-apiserver behind.
 */
function startWatchdog(parentPid: number, childPid: number): void {
  const script =
    `while kill -0 ${parentPid} 2>/dev/null && kill -0 ${childPid} 2>/dev/null; do sleep 1; done; ` +
    `kill -TERM ${childPid} 2>/dev/null; sleep 5; kill -KILL ${childPid} 2>/dev/null; exit 0`;
  const watchdog = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  watchdog.unref();
}

export async function startProcess(spec: ProcessSpec): Promise<ManagedProcess> {
  installExitHook();
  const out = openSync(spec.logFile, 'a');
  const child = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
      running.delete(child);
      resolve();
    });
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  running.add(child);
  if (child.pid === undefined) {
    throw new ServerStartError(
      spec.name,
      spec.logFile,
      `could not spawn ${spec.command}: ${await spawnError}`,
    );
  }
  startWatchdog(process.pid, child.pid);

  const managed: ManagedProcess = {
    name: spec.name,
    pid: child.pid,
    logFile: spec.logFile,
    async stop(graceMs = 5000) {
      if (exitCode !== undefined) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([
        exited.then(() => true),
        sleep(graceMs, undefined, { ref: false }).then(() => false),
      ]);
      if (!killed) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };

  const deadline = Date.now() + (spec.readyTimeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new ServerStartError(
        spec.name,
        spec.logFile,
        `it exited with code ${exitCode} before it was ready`,
      );
    }
    if (await spec.isReady().catch(() => false)) return managed;
    await sleep(150);
  }
  await managed.stop();
  throw new ServerStartError(spec.name, spec.logFile, `not ready after ${spec.readyTimeoutMs ?? 60_000} ms`);
}
