import { createServer } from 'node:net';

/**
 * A free loopback port, never one this process was given before: the kernel may offer a port it
 * just took back again, and the servers are told their port seconds before they bind it (the
 * cluster picks three in a row). Still racy against other processes (one could bind it before the
 * server it is meant for does); a server that then fails to start says so with its log.
 */
export const freePort: () => Promise<number> = portPicker(portTheKernelOffers);

/** Picks ports from `offer`, skipping any it handed out before. */
export function portPicker(offer: () => Promise<number>): () => Promise<number> {
  const givenOut = new Set<number>();
  return async () => {
    for (let offered = 0; offered < 20; offered++) {
      const port = await offer();
      if (!givenOut.has(port)) {
        givenOut.add(port);
        return port;
      }
    }
    throw new Error('the kernel offered only ports this process was given before, 20 times');
  };
}

function portTheKernelOffers(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port the kernel assigned'));
      });
    });
  });
}
