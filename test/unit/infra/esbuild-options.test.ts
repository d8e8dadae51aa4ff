import { bundledFunction, lambdaBuildOptions } from '../../../scripts/esbuild-options';

describe("a Lambda bundle's name (process.env.PITCREW_BUNDLE in its code)", () => {
  it.each([
    ['functions/reap/handler.ts', 'reap'],
    ['functions/provision/handler.ts', 'provision'],
    ['./functions/ops/handler.ts', 'ops'],
    ['/work/clone/functions/webhook/handler.ts', 'webhook'],
    ['functions\\reap\\handler.ts', 'reap'],
  ])('is the function of its entry %s', (entry, name) => {
    expect(bundledFunction(entry)).toBe(name);
    expect(lambdaBuildOptions(entry, 'out').define).toEqual({ 'process.env.PITCREW_BUNDLE': `"${name}"` });
  });

  it.each(['bench/baselines/reap.ts', 'functions/reap/other.ts', 'myfunctions/reap/handler.ts'])(
    'is empty for any other entry, %s, whose adapters then keep every call',
    (entry) => {
      expect(bundledFunction(entry)).toBeUndefined();
      expect(lambdaBuildOptions(entry, 'out').define).toEqual({ 'process.env.PITCREW_BUNDLE': '""' });
    },
  );
});
