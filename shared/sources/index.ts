export { CiError, CiRejectedError, CiUnavailableError } from './errors';
export { ciSources, isCiSource } from './names';
export type { CiSource } from './names';
export { signBody, verifySignature } from './signature';
export type { SignatureCheck } from './signature';
export { buildActions } from './types';
export type {
  AgentCredentials,
  AgentRequest,
  BuildAction,
  BuildEvent,
  CiSourceAdapter,
  ParsedWebhook,
  SourceDetails,
  WebhookInput,
} from './types';
