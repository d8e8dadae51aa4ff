import { bodyHmacSigning, type SigningScheme } from '../signature';

/** https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries */
export const githubSigning: SigningScheme = bodyHmacSigning('x-hub-signature-256');
