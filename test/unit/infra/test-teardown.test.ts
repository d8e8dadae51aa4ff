import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeEverythingStarted, closeWhenFileEnds } from '../../support/teardown';

/** Runs the late-start fixture in a child jest; kills it (and says so) if it outlives `limitMs`. */
async function runFixture(
  limitMs: number,
): Promise<{ code: number | null; output: string; killed: boolean }> {
  const child = spawn(
    process.execPath,
    ['node_modules/jest/bin/jest.js', '--config', 'test/fixtures/teardown/jest.config.js', '--no-coverage'],
    {
      env: {
        ...process.env,
        CI: '', // forceExit is CI's backstop; this shows the file's own teardown closes the server
        NODE_OPTIONS: '--experimental-vm-modules --no-warnings=ExperimentalWarning',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let killed = false;
  const guard = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, limitMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(guard);
  return { code, output, killed };
}

describe('closing what a test file started', () => {
  it('a server started after its beforeAll timed out is closed, and jest exits', async () => {
    // Without the registry the server stays listening and jest never exits (the CI that hung). The
    // limit only tells a hang from a slow start: the child takes 2 s here, far more on a loaded CI.
    const run = await runFixture(100_000);
    expect(run.killed).toBe(false);
    expect(run.output).toContain('Exceeded timeout of 100 ms for a hook');
    expect(run.output).not.toContain('did not exit');
    expect(run.code).toBe(1);
  }, 120_000);

  it('closes each registered resource once, and one registered after the end at once', async () => {
    const closed: string[] = [];
    const closeA = closeWhenFileEnds(() => void closed.push('a'));
    closeWhenFileEnds(() => void closed.push('b'));
    await closeA();
    expect(closed).toEqual(['a']);

    await closeEverythingStarted();
    expect(closed).toEqual(['a', 'b']);
    await closeA();
    expect(closed).toEqual(['a', 'b']);

    const closeLate = closeWhenFileEnds(() => void closed.push('late'));
    await closeLate();
    expect(closed).toEqual(['a', 'b', 'late']);
  });
});
