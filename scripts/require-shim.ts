/**
 * Some bundled dependencies are CommonJS and call `require`; ESM output has none, so a bundle's
 * files define one (`requireShim`). esbuild's `banner` puts it at the top of every output file,
 * and a build split into chunks has many that never call `require`: six of the nine files
 * provision loads at cold start, 0.9 KiB of code parsed for nothing (docs/performance.md). This
 * plugin keeps the banner only where the file's code names `require`, and blanks it elsewhere.
 *
 * Why a plugin of our own: esbuild has no per-chunk banner, and its `inject` cannot stand in (its
 * own `__require` helper reads a global `require`, which an injected module does not define).
 * Blanked, not removed: the line stays, so each source map's lines still hold.
 */
import type { Metafile, OutputFile, Plugin } from 'esbuild';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';

export const requireShim =
  "import { createRequire as __pitcrewCreateRequire } from 'node:module'; const require = __pitcrewCreateRequire(import.meta.url);";

/**
 * Whether code names `require` other than as a property (`x.require`). A string or a local of that
 * name counts too: keeping the shim where it is not needed costs bytes, dropping it where it is
 * breaks the function, so the test errs on keeping it.
 */
export const namesRequire = (code: string): boolean => /(?:^|[^\w$.])require(?![\w$])/.test(code);

/** An output file's contents with the shim blanked, if it starts with the shim and needs none; else undefined. */
export function withoutUnusedShim(contents: string): string | undefined {
  if (!contents.startsWith(`${requireShim}\n`)) return undefined;
  const code = contents.slice(requireShim.length);
  return namesRequire(code) ? undefined : code;
}

/** The file's key in the metafile, which names outputs relative to the working directory with `/`. */
const metafileKey = (file: OutputFile, workingDir: string): string =>
  relative(workingDir, file.path).replaceAll('\\', '/');

/**
 * Builds with the shim as a banner and writes the files itself (the build's `write` is turned off
 * and done here), each `.mjs` without the shim if it does not need it; the metafile's sizes are
 * corrected to the written files, so the size tables and the cold-start bounds count what ships.
 */
export function requireShimPlugin(): Plugin {
  return {
    name: 'pitcrew-require-shim',
    setup(build) {
      const write = build.initialOptions.write ?? true;
      build.initialOptions.write = false;
      build.initialOptions.banner = { ...build.initialOptions.banner, js: requireShim };
      const workingDir = build.initialOptions.absWorkingDir ?? process.cwd();
      build.onEnd(async (result) => {
        if (result.errors.length > 0 || !result.outputFiles) return;
        const outputs: Metafile['outputs'] = result.metafile?.outputs ?? {};
        result.outputFiles = result.outputFiles.map((file) => {
          const trimmed = file.path.endsWith('.mjs') ? withoutUnusedShim(file.text) : undefined;
          if (trimmed === undefined) return file;
          const contents = new TextEncoder().encode(trimmed);
          const output = outputs[metafileKey(file, workingDir)];
          // A size left uncorrected would count the shim the file no longer holds.
          if (result.metafile && !output)
            throw new Error(`${file.path} is not named in the build's metafile`);
          if (output) output.bytes = contents.byteLength;
          return { path: file.path, hash: file.hash, contents, text: trimmed };
        });
        if (!write) return;
        for (const file of result.outputFiles) {
          await mkdir(dirname(file.path), { recursive: true });
          await writeFile(file.path, file.contents);
        }
      });
    },
  };
}
