import { loadCiReceivers } from '../../shared/sources/receiver-registry';
import { registeredModules } from '../../shared/sources/registry';

/**
 * Every registered CI's receiver side, loaded once, for the tests that build receivers or webhook
 * registries synchronously (the webhook function loads only its configured CIs' at cold start).
 */
export const everyReceiver = await loadCiReceivers(registeredModules);
