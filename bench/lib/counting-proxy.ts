import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { AwsCall } from '../../infra/local/stand-ins/aws-fault-proxy';

/** A pass-through proxy in front of DynamoDB Local or ElasticMQ that counts every request. */
export interface CountingProxy {
  /** http://127.0.0.1:PORT, to use as the SDK endpoint. */
  readonly endpoint: string;
  /** Every request that came through so far, in order. */
  calls(): Promise<readonly AwsCall[]>;
  close(): Promise<void>;
}

type FromChild = { readonly endpoint: string } | { readonly calls: AwsCall[] };

/**
 * Starts infra/local/stand-ins/aws-fault-proxy.ts (no faults) in a process of its own, so that the
 * CPU of this instrument of the bench's is not counted as Pitcrew's: the burst reports the Node
 * process that runs the functions, and on AWS there is no proxy. Calls are fetched on demand.
 */
export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const child: ChildProcess = fork(
    fileURLToPath(new URL('./counting-proxy-process.ts', import.meta.url)),
    [upstream],
    {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const exited = once(child, 'exit');
  // A send to a child that has died fails here, and `nextMessage` says so.
  child.on('error', () => undefined);
  const died = exited.then(([code, signal]): never => {
    throw new Error(`the counting proxy to ${upstream} exited (${String(signal ?? code)})`);
  });
  died.catch(() => undefined);
  /** The child's next message; rejects if it exits first, so the bench never waits on a dead proxy. */
  const nextMessage = async (): Promise<FromChild> => {
    const [answer] = await Promise.race([once(child, 'message') as Promise<[FromChild]>, died]);
    return answer;
  };
  const started = await nextMessage();
  if (!('endpoint' in started)) throw new Error('the counting proxy did not say where it listens');
  const known: AwsCall[] = [];
  return {
    endpoint: started.endpoint,
    async calls() {
      // A call fetched before its answer came has no time yet: fetched again from the first such one.
      const pending = known.findIndex((call) => call.upstreamMs === undefined && call.fault === undefined);
      const from = pending === -1 ? known.length : pending;
      const answer = nextMessage();
      child.send({ callsFrom: from });
      const message = await answer;
      if ('calls' in message) known.splice(from, known.length - from, ...message.calls);
      return known;
    },
    async close() {
      if (!child.connected) return;
      child.send({ close: true });
      await exited;
    },
  };
}
