export { CiError, CiRejectedError, CiUnavailableError } from './errors';
export type { CiApiModule, CiModule, CiSettingsBase, SecretLookup } from './module';
export { ciSources, isCiSource } from './names';
// The API and webhook sides (api-registry.ts, receiver-registry.ts) and the senders' signing
// (signing.ts, which reads the receivers) are left out on purpose: only shared/runtime/api-sources.ts
// and shared/runtime/sources.ts load the sides, and only the local tools and tests sign.
export { ciModuleOf, ciModules, registeredModules } from './registry';
export type { AnyCiModule } from './registry';
export type { CiSource } from './names';
export {
  defaultSignatureToleranceSeconds,
  pitcrewSignatureHeader,
  pitcrewSigning,
  pitcrewTimestampHeader,
  signBody,
  checkDelivery,
  signDelivery,
  tokenSigning,
  verifyDelivery,
} from './signature';
export type { DeliveryCheck, SignatureCheck, SigningScheme } from './signature';
export { buildActions } from './types';
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
