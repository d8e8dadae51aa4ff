import { createServer, connect, type Socket } from 'node:net';

export type ProxyMode = 'pass' | 'refuse' | 'blackhole';

/**
 * A loopback TCP proxy a test can cut: in `refuse` mode it resets every new connection, as a
 * crashed API server would; in `blackhole` mode it accepts connections and never answers, as a
 * hung server or a dropped route would. TLS passes through untouched (the API server's
 * certificate names 127.0.0.1), so clients talk to the real server through it.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<{
  port: number;
  setMode(mode: ProxyMode): void;
  close(): Promise<void>;
}> {
  let mode: ProxyMode = 'pass';
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (mode === 'blackhole') {
      sockets.add(client);
      client.on('error', () => sockets.delete(client)).on('close', () => sockets.delete(client));
      return;
    }
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    setMode(next) {
      mode = next;
      if (next === 'refuse') for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
