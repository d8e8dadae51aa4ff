import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { runDev } from '../../../infra/local/dev/run-dev';
import { devOnTestServers } from '../../support/dev-system';
import { withBuildLock } from '../../support/template';

/**
 * `serverless invoke local` as docs/operations.md tells an operator to run it, through the repo's
 * plugin (infra/local/serverless-invoke-local.cjs): against the system `pitcrew dev` runs, and
 * refused, saying what to do, when none runs.
 */
function invokeLocal(fn: string, eventPath: string, devFile: string) {
  // Synchronous, as it runs under the build lock: dist/ is shared with the packaging tests.
  const run = spawnSync('npx', ['serverless', 'invoke', 'local', '-f', fn, '--path', eventPath], {
    env: { ...process.env, PITCREW_DEV_FILE: devFile, AWS_REGION: 'us-east-1' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: run.status, stdout: run.stdout, output: `${run.stdout}\n${run.stderr}` };
}

/**
 * Builds dist/ and runs `work` under the build lock: serverless.yml reads dist/access.json, so
 * every invocation needs a build, and the packaging tests rebuild dist/ beside this file.
 */
function afterABuild<T>(work: () => T): T {
  return withBuildLock(() => {
    const built = spawnSync('npx', ['tsx', 'scripts/build.ts'], { encoding: 'utf8' });
    expect(built.status).toBe(0);
    return work();
  });
}

describe('serverless invoke local', () => {
  describe('with no local system running', () => {
    let noDevFile: ReturnType<typeof invokeLocal>;
    let staleDevFile: ReturnType<typeof invokeLocal>;
    beforeAll(() => {
      const devFile = join(mkdtempSync(join(tmpdir(), 'pitcrew-stale-')), 'dev.json');
      // What a `pitcrew dev` killed hard leaves behind: a pid no process has (the kernel's limit is far below it).
      writeFileSync(devFile, JSON.stringify({ pid: 2 ** 30, functionEnv: {} }));
      [noDevFile, staleDevFile] = afterABuild(() => [
        invokeLocal('ops', 'events/ops-status.json', '/nonexistent/dev.json'),
        invokeLocal('ops', 'events/ops-status.json', devFile),
      ]);
    }, 300_000);

    it('refuses with what to do when there is no dev.json', () => {
      expect(noDevFile.code).not.toBe(0);
      expect(noDevFile.output).toMatch(
        /no local system is running \(no \/nonexistent\/dev\.json\): start one with `npx pitcrew dev`/,
      );
    });

    it('refuses a dev.json whose `pitcrew dev` is gone, naming its pid', () => {
      expect(staleDevFile.code).not.toBe(0);
      expect(staleDevFile.output).toMatch(
        /is not running any more \(pid 1073741824 is gone\): start it again with `npx pitcrew dev`/,
      );
    });
  });

  describe('against `pitcrew dev` on the real local servers', () => {
    let dev: Awaited<ReturnType<typeof runDev>>;
    let devFile: string;
    beforeAll(async () => {
      ({ dev, devFile } = await devOnTestServers({
        prefix: 'invoke',
        reapIntervalMs: 60_000,
        print: () => undefined,
      }));
    }, 120_000);
    afterAll(() => dev.stop());

    it('runs the bundled ops and reap functions against it', () => {
      const [status, reap] = afterABuild(() => [
        invokeLocal('ops', 'events/ops-status.json', devFile),
        invokeLocal('reap', 'events/reap-schedule.json', devFile),
      ]);
      expect(status.code).toBe(0);
      // The answer is the ops function's: the dev system's caps, read from its table.
      expect(JSON.parse(status.stdout.slice(status.stdout.indexOf('{')))).toMatchObject({
        action: 'status',
        drained: false,
        caps: { global: { cap: 10 } },
      });
      expect(reap.code).toBe(0);
      expect(JSON.parse(reap.stdout.slice(reap.stdout.indexOf('{')))).toMatchObject({ errors: 0 });
    }, 300_000);
  });
});
