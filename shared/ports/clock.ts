/**
 * The time as every store and flow reads it: a port like the others, so that a flow can run at any
 * moment on the twins (a manual clock, createManualClock) and a race can be set up to the
 * millisecond, while the adapters read the system's (`systemClock`). A function, not an object with
 * one method: it is called on every write that stamps a time.
 */
export type Clock = () => Date;

/** The system's time: what every function runs on. */
export const systemClock: Clock = () => new Date();

/** A clock that moves only when told: the twins' (test/unit/flows/twins.ts). */
export interface ManualClock {
  readonly now: Clock;
  /** The same time, in milliseconds (the receivers' and the backlog gate's form). */
  readonly ms: () => number;
  /** Moves the clock on by `seconds`. */
  advance(seconds: number): void;
}

export function createManualClock(startMs: number): ManualClock {
  let nowMs = startMs;
  return {
    now: () => new Date(nowMs),
    ms: () => nowMs,
    advance: (seconds) => {
      nowMs += seconds * 1000;
    },
  };
}
