import { startAwsFaultProxy } from '../../infra/local/stand-ins/aws-fault-proxy';

/** The process bench/lib/counting-proxy.ts starts: one counting proxy to `argv[2]`, driven over IPC. */
const proxy = await startAwsFaultProxy(process.argv[2] ?? '');
process.on('message', (message: { callsFrom?: number; close?: boolean }) => {
  if (message.close) {
    void proxy.close().then(() => process.exit(0));
    return;
  }
  process.send?.({ calls: proxy.calls.slice(message.callsFrom ?? 0) });
});
process.send?.({ endpoint: proxy.endpoint });
// The bench ended without closing it (a failure, ^C): nothing to count for any more.
process.on('disconnect', () => process.exit(0));
