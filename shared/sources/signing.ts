import type { CiSource } from './names';
import { ciReceiverModules } from './receiver-registry';
import { signDelivery, type SigningScheme } from './signature';

/**
 * How a sender signs for each source, at the default tolerance: what `pitcrew demo`, `npm run webhook`,
 * the bench and the tests sign with. The receivers (the webhook function) take their tolerance from
 * the config; the signature does not depend on it.
 */
export const signingSchemeOf = (source: CiSource): SigningScheme => ciReceiverModules[source].signing;

/** The signature headers (and, for Pitcrew's scheme, the timestamp) a sender puts on `body`. */
export const signedHeadersFor = (
  source: CiSource,
  body: string | Buffer,
  secret: string,
  nowMs: number = Date.now(),
): Record<string, string> => signDelivery(signingSchemeOf(source), body, secret, nowMs);
