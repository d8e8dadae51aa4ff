import type { CiSource } from './names';
import { notInThisBuild } from './not-in-build';
import { ciReceiverModuleOf } from './receiver-registry';
import { signDelivery, type SigningScheme } from './signature';

/**
 * How a sender signs for each source, at the default tolerance: what `pitcrew demo`, `npm run webhook`,
 * the bench and the tests sign with. The receivers (the webhook function) take their tolerance from
 * the config; the signature does not depend on it.
 */
export function signingSchemeOf(source: CiSource): SigningScheme {
  const receiverModule = ciReceiverModuleOf(source);
  if (!receiverModule) throw notInThisBuild([source]);
  return receiverModule.signing;
}

/** The signature headers (and, for Pitcrew's scheme, the timestamp) a sender puts on `body`. */
export const signedHeadersFor = (
  source: CiSource,
  body: string | Buffer,
  secret: string,
  nowMs: number = Date.now(),
): Record<string, string> => signDelivery(signingSchemeOf(source), body, secret, nowMs);
