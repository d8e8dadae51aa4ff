/** How long a delivery id is remembered. CIs redeliver within hours; replays after that hit the request record. */
export const deliveryTtlSeconds = 3 * 24 * 3600;

/**
 * Webhook delivery ids seen, per source, for deduplication. Adapters: DynamoDB
 * (shared/state/delivery-store.ts), in memory (shared/state/memory/); both are held to
 * test/contracts/delivery-store.ts.
 */
export interface DeliveryStore {
  /**
   * Whether the delivery id was remembered for this source (strongly consistent). Throws
   * `StateUnavailableError` when the store fails.
   */
  seen(source: string, deliveryId: string): Promise<boolean>;

  /**
   * Remembers the delivery id (until now plus `deliveryTtlSeconds`, its TTL): 'new' the first time,
   * 'duplicate' after, writing nothing; of concurrent callers exactly one gets 'new'. Throws
   * `StateUnavailableError` when the store fails.
   */
  remember(source: string, deliveryId: string): Promise<'new' | 'duplicate'>;
}
