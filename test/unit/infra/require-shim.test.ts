import { build } from 'esbuild';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { lambdaBuildOptions } from '../../../scripts/esbuild-options';
import { namesRequire, requireShim, withoutUnusedShim } from '../../../scripts/require-shim';

describe('whether code names require', () => {
  it.each([
    'var m=(a=>typeof require<"u"?require:a);',
    'const os=require("node:os")',
    'x={require};',
    'f(require)',
    'require',
  ])('finds it in %s', (code) => expect(namesRequire(code)).toBe(true));

  it.each(['module.require("x")', 'const requireJs=1;', 'let _require=1', 'a.b.require', 'var $require=2'])(
    'finds none in %s',
    (code) => expect(namesRequire(code)).toBe(false),
  );
});

describe('a file without the shim it does not need', () => {
  it('keeps the line, so the source map still holds, and drops only the shim', () => {
    const code = 'var a=1;\nexport{a};\n';
    const trimmed = withoutUnusedShim(`${requireShim}\n${code}`);
    expect(trimmed).toBe(`\n${code}`);
  });

  it('keeps the shim where the code calls require', () => {
    expect(withoutUnusedShim(`${requireShim}\nvar os=require("node:os");\n`)).toBeUndefined();
  });

  it('leaves a file that does not start with the shim alone', () => {
    expect(withoutUnusedShim('var a=1;\n')).toBeUndefined();
  });
});

describe('a Lambda build split into chunks', () => {
  // An entry that loads CommonJS calling require (esbuild's __require helper, in a chunk of its
  // own once the entry has a dynamic import), and a module shared with that import (a chunk that
  // needs no require).
  const dir = mkdtempSync(join(tmpdir(), 'pitcrew-require-shim-'));
  writeFileSync(
    join(dir, 'host.cjs'),
    "const os = require('node:os');\nmodule.exports = { host: () => os.hostname() };\n",
  );
  writeFileSync(join(dir, 'shared.ts'), 'export const label = (name: string): string => `agent ${name}`;\n');
  writeFileSync(
    join(dir, 'later.ts'),
    "import { label } from './shared';\nexport const later = (): string => label('later');\n",
  );
  writeFileSync(
    join(dir, 'entry.ts'),
    [
      "import host from './host.cjs';",
      "import { label } from './shared';",
      "export const handler = async (): Promise<string> => `${label(host.host())} ${(await import('./later')).later()}`;",
      '',
    ].join('\n'),
  );
  const outdir = join(dir, 'out');
  const built = build(lambdaBuildOptions(join(dir, 'entry.ts'), outdir));

  it('defines require only in the files whose code names it, and still runs', async () => {
    const { metafile } = await built;
    const files = Object.keys(metafile?.outputs ?? {}).filter((file) => file.endsWith('.mjs'));
    const texts = files.map((file) => readFileSync(file, 'utf8'));
    const withShim = texts.filter((text) => text.startsWith(requireShim));
    const without = texts.filter((text) => !text.startsWith(requireShim));
    expect(files.length).toBeGreaterThanOrEqual(3);
    expect(withShim.length).toBeGreaterThan(0);
    expect(without.length).toBeGreaterThan(0);
    for (const text of withShim) expect(namesRequire(text.slice(requireShim.length))).toBe(true);
    for (const text of without) {
      expect(text.startsWith('\n')).toBe(true);
      expect(namesRequire(text)).toBe(false);
    }
    const { handler } = (await import(pathToFileURL(join(outdir, 'handler.mjs')).href)) as {
      handler: () => Promise<string>;
    };
    await expect(handler()).resolves.toMatch(/^agent .+ agent later$/);
  });

  it('counts in its metafile the bytes it wrote', async () => {
    const { metafile } = await built;
    const outputs = Object.entries(metafile?.outputs ?? {});
    expect(outputs.length).toBeGreaterThan(0);
    for (const [file, { bytes }] of outputs)
      expect({ file, bytes }).toEqual({ file, bytes: statSync(file).size });
  });
});
