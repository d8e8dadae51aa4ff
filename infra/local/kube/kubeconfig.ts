import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

/** Writes a kubeconfig with one cluster, one bearer-token user and one context, and returns its path. */
export function writeKubeconfig(
  path: string,
  options: { server: string; caFile: string; user: string; token: string },
): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'pitcrew-local',
        cluster: {
          server: options.server,
          'certificate-authority-data': readFileSync(options.caFile).toString('base64'),
        },
      },
    ],
    users: [{ name: options.user, user: { token: options.token } }],
    contexts: [{ name: 'pitcrew-local', context: { cluster: 'pitcrew-local', user: options.user } }],
    'current-context': 'pitcrew-local',
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}
