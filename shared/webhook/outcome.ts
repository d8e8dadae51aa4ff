import type { RefusalReason } from '../sources/types';

/** What receiving one webhook came to. The handler turns it into an HTTP answer; nothing here is HTTP. */
export type WebhookOutcome =
  | { readonly kind: 'accepted'; readonly requestId: string }
  | { readonly kind: 'recorded'; readonly requestId: string; readonly status: string }
  | {
      readonly kind: 'ignored';
      readonly reason: string;
      readonly requestId?: string;
      /** No template serves the build's labels: nothing was written, and its delivery is not remembered. */
      readonly unserved?: true;
    }
  | {
      readonly kind: 'refused';
      readonly reason: RefusalReason;
      readonly subject: string;
      readonly problem: string;
    }
  | { readonly kind: 'backlog-full'; readonly retryAfterSeconds: number; readonly problem: string }
  | { readonly kind: 'invalid'; readonly field: string; readonly problem: string }
  | { readonly kind: 'unauthorized'; readonly problem: string }
  | { readonly kind: 'unknown-source'; readonly problem: string }
  | { readonly kind: 'too-large'; readonly limitBytes: number }
  | { readonly kind: 'unsupported-media-type'; readonly contentType: string }
  | { readonly kind: 'unavailable'; readonly problem: string };
