import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Node's module customization hooks (node:module register), run on the loader's own thread: every
 * file: module the process loads is appended to the file named by PITCREW_LOADED_LOG. A data: URL so
 * that no hooks file has to ship beside the bench; it imports only node:fs.
 */
const hooks = `import { appendFileSync } from 'node:fs';
export async function load(url, context, nextLoad) {
  if (url.startsWith('file:')) appendFileSync(process.env.PITCREW_LOADED_LOG, url + '\\n');
  return nextLoad(url, context);
}`;
const registerHooks = `import { register } from 'node:module'; register(${JSON.stringify(
  `data:text/javascript,${encodeURIComponent(hooks)}`,
)});`;

/**
 * The environment of a fresh process that imports a function's bundle: the function's own on top of
 * the bench's, with Powertools' logs and the SDK's Node version warning off (they would be timed).
 */
export const freshProcessEnv = (env: Record<string, string>): NodeJS.ProcessEnv => ({
  ...process.env,
  ...env,
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});

/**
 * The files a fresh Node process loads while it imports `entryFile`: its static imports and every
 * dynamic import the module's top-level code awaits (the runtime's set-up), which is what a cold
 * start reads and compiles before the first event. A build's metafile alone shows only the static
 * ones. Run apart from the timed runs: the hooks' thread would slow them.
 */
export function filesLoadedAtInit(entryFile: string, env: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'pitcrew-loaded-'));
  const log = join(dir, 'loaded.txt');
  try {
    const url = pathToFileURL(resolve(entryFile)).href;
    execFileSync(
      process.execPath,
      [
        '--import',
        `data:text/javascript,${encodeURIComponent(registerHooks)}`,
        '--input-type=module',
        '-e',
        `await import(${JSON.stringify(url)});`,
      ],
      {
        env: { ...freshProcessEnv(env), PITCREW_LOADED_LOG: log },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    const urls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    return [...new Set(urls)].map((loaded) => fileURLToPath(loaded));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
