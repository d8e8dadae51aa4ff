/**
 * Closes what a test file started when the file ends, even what a start finished after its hook
 * had already timed out.
 *
 * Why: jest runs in band on a 2-core machine, so a stand-in server left listening keeps the one
 * jest process alive after the run ("Jest did not exit"), and CI then waits out its whole limit.
 * A `beforeAll` that times out is abandoned, not stopped: its start goes on in the background and
 * opens servers nobody holds. Registering each resource as it starts lets the file's end close it,
 * and a resource that arrives after the end is closed at once.
 *
 * The registry lives on globalThis because `jest.resetModules()` (every fresh handler import) would
 * otherwise give later imports a second, empty copy of this module.
 */

type Close = () => unknown;

interface Registry {
  ended: boolean;
  readonly closes: Set<Close>;
}

const key = Symbol.for('pitcrew.test.teardown');
const registry = (): Registry => {
  const holder = globalThis as { [key]?: Registry };
  holder[key] ??= { ended: false, closes: new Set() };
  return holder[key];
};

/**
 * Registers `close` to run when the test file ends (at once if it already has) and returns a
 * once-only version of it, for the caller's own close to use.
 */
export function closeWhenFileEnds(close: Close): () => Promise<void> {
  let closing: Promise<void> | undefined;
  const once = (): Promise<void> => {
    registry().closes.delete(once);
    closing ??= Promise.resolve()
      .then(close)
      .then(() => undefined);
    return closing;
  };
  if (registry().ended) void once().catch(() => undefined);
  else registry().closes.add(once);
  return once;
}

/** Runs every registered close (the setup file's `afterAll`); a failure is reported, not thrown. */
export async function closeEverythingStarted(): Promise<void> {
  const state = registry();
  state.ended = true;
  const results = await Promise.allSettled([...state.closes].map((close) => close()));
  for (const result of results)
    if (result.status === 'rejected') console.warn('closing a test resource failed:', result.reason);
}
