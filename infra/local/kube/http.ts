import { request } from 'node:https';

/** GET over HTTPS trusting `ca` (the local cluster's own CA); resolves the status code. */
export function httpsStatus(
  url: string,
  options: { ca?: Buffer; token?: string; insecure?: boolean },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        ca: options.ca,
        rejectUnauthorized: !options.insecure,
        headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
        timeout: 2000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
    req.end();
  });
}
