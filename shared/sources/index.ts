export { CiError, CiRejectedError, CiUnavailableError } from './errors';
export { ciSources, isCiSource } from './names';
export type { CiSource } from './names';
export {
  defaultSignatureToleranceSeconds,
  pitcrewSignatureHeader,
  pitcrewSigning,
  pitcrewTimestampHeader,
  signBody,
  checkDelivery,
  signDelivery,
  verifyDelivery,
} from './signature';
export type { SignatureCheck, SigningScheme } from './signature';
export { signedHeadersFor, signingSchemeOf } from './signing';
export { buildActions, refusalReasons } from './types';
export type {
  AgentCredentials,
  AgentRequest,
  BuildAction,
  BuildEvent,
  CiSourceAdapter,
  ConfiguredSource,
  ParsedWebhook,
  RefusalReason,
  SourceDetails,
  SourceRegistry,
  WebhookInput,
  WebhookReceiver,
} from './types';
