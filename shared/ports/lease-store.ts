/**
 * Named leases: one holder at a time until the lease expires. The reaper takes one per run, so two
 * runs at once never act on the same pods. Adapters: DynamoDB (shared/state/lease-store.ts), in
 * memory (shared/state/memory/); both are held to test/contracts/lease-store.ts.
 */
export interface LeaseStore {
  /**
   * Takes the lease for `seconds` (until now plus `seconds`, in whole epoch seconds) if nobody holds
   * it, its holder's time is past, or `holder` holds it already (then it is extended). False, nothing
   * written, while another holder's lease runs. Throws `StateUnavailableError` when the store fails.
   */
  acquire(name: string, holder: string, seconds: number): Promise<boolean>;

  /** Gives the lease up if `holder` holds it; another's lease stays. Best effort: never throws. */
  release(name: string, holder: string): Promise<void>;
}
