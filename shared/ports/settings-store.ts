/** Settings operators change at run time (ops `drain`/`resume`, `caps`). */
export interface OperatorSettings {
  drained: boolean;
  globalCap?: number;
  templateCaps: Record<string, number>;
}

/**
 * The operator settings, one item. Adapters: DynamoDB (shared/state/settings-store.ts), in memory
 * (shared/state/memory/); both are held to test/contracts/settings-store.ts.
 */
export interface OperatorSettingsStore {
  /**
   * The current settings; the defaults (not drained, no caps) when none were ever written. Throws
   * `StateUnavailableError` when the store fails.
   */
  get(): Promise<OperatorSettings>;

  /**
   * Applies `change` to the current settings and writes the result only if nobody wrote in between
   * (optimistic concurrency): on a race it reads again and applies `change` again, so concurrent
   * updates never lose one another's change. Answers the settings before and after. Throws what
   * validating the result throws (a negative cap: nothing written), and `StateUnavailableError`
   * when the store fails or the settings keep changing under it.
   */
  update(
    change: (current: OperatorSettings) => OperatorSettings,
  ): Promise<{ before: OperatorSettings; after: OperatorSettings }>;
}
