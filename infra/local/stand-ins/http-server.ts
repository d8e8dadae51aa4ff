import type { IncomingHttpHeaders, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The plumbing every CI stand-in's HTTP server shares (github-api.ts, jenkins-api.ts ...). */

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A request's headers as a stand-in records them: credentials are never kept, since tests assert on
 * what the adapter sent, not on its secrets.
 */
export function recordedHeaders(
  headers: IncomingHttpHeaders,
  credentials: readonly string[] = ['authorization', 'cookie'],
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string' && !credentials.includes(entry[0]),
    ),
  );
}

/** Listens on a free loopback port and gives the port. */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Closes the server and every connection still open (a test's client may keep one alive). */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}
