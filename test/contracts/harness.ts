/**
 * What a contract suite gets from the side it runs on (DynamoDB Local in the integration project, the
 * in-memory twins in the unit project): stores on a fresh, empty table reading the suite's clock, the
 * same stores on a table that cannot be reached, and a raw read of an item, for what the port does
 * not return (TTL attributes, counters' items).
 */
export interface ContractSubject<Stores> {
  readonly stores: Stores;
  readonly unavailable: Stores;
  readonly item: (key: { pk: string; sk: string }) => Promise<Record<string, unknown> | undefined>;
  readonly dispose?: () => Promise<void>;
}

/** Called before each test with the suite's clock. */
export type MakeSubject<Stores> = (now: () => Date) => Promise<ContractSubject<Stores>>;

/** A clock that moves only when told: the suites decide every time a store reads. */
export interface TestClock {
  readonly now: () => Date;
  advance(ms: number): void;
  /** Now in whole epoch seconds, as TTL attributes hold it. */
  seconds(): number;
}

export const contractEpoch = Date.parse('2026-11-25T06:00:00.000Z');

export function createTestClock(start = contractEpoch): TestClock {
  let at = start;
  return {
    now: () => new Date(at),
    advance: (ms) => {
      at += ms;
    },
    seconds: () => Math.floor(at / 1000),
  };
}

/**
 * Makes a fresh subject before each test of the enclosing describe (and disposes of it after): the
 * answered function gives the test its subject, its clock and its stores.
 */
export function withSubject<Stores>(
  make: MakeSubject<Stores>,
): () => { subject: ContractSubject<Stores>; clock: TestClock } & Stores {
  let state: { subject: ContractSubject<Stores>; clock: TestClock } | undefined;
  beforeEach(async () => {
    const clock = createTestClock();
    state = { subject: await make(clock.now), clock };
  });
  afterEach(async () => {
    await state?.subject.dispose?.();
    state = undefined;
  });
  return () => {
    if (!state) throw new Error('the contract subject exists only inside a test');
    return { ...state, ...state.subject.stores };
  };
}
