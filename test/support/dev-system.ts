import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDev } from '../../infra/local/dev/run-dev';
import { requiredTestEnv } from './env';

/**
 * `pitcrew dev` on the test run's local servers, as an operator starts it, under its own resource
 * names (`prefix`) and with its `.pitcrew/` in a fresh temporary folder: the system and its dev.json.
 */
export async function devOnTestServers(options: {
  prefix: string;
  reapIntervalMs: number;
  print: (line: string) => void;
}): Promise<{ dev: Awaited<ReturnType<typeof runDev>>; devFile: string }> {
  const stateDir = join(mkdtempSync(join(tmpdir(), `pitcrew-${options.prefix}-`)), '.pitcrew');
  const dev = await runDev({
    stateDir,
    kubeconfig: requiredTestEnv('kubeconfig'),
    sqsEndpoint: requiredTestEnv('sqsEndpoint'),
    dynamoDbEndpoint: requiredTestEnv('dynamoDbEndpoint'),
    namespace: 'pitcrew-agents',
    resourcePrefix: `${options.prefix}-${process.pid}`,
    reapIntervalMs: options.reapIntervalMs,
    print: options.print,
  });
  return { dev, devFile: join(stateDir, 'dev.json') };
}
