import type { CiSource } from './names';

/** What a CI says happened to one build. */
export const buildActions = ['queued', 'started', 'completed', 'cancelled'] as const;
export type BuildAction = (typeof buildActions)[number];

/**
 * Source-specific facts a later step needs to make the agent's credentials or deregister it,
 * kept on the request record. Never a secret.
 */
export type SourceDetails =
  | {
      readonly source: 'github';
      readonly owner: string;
      readonly repo: string;
      readonly installationId?: number;
      readonly runId?: number;
    }
  | {
      readonly source: 'jenkins';
      readonly controllerUrl: string;
      readonly queueItemId: number;
      readonly label: string;
    }
  | { readonly source: 'generic' };

/** One webhook delivery, normalised: every source parses into this. */
export interface BuildEvent {
  readonly source: CiSource;
  /** Stable per build within the source: GitHub workflow_job.id, Jenkins controller URL + queue id, generic job.id. */
  readonly jobKey: string;
  readonly action: BuildAction;
  /** The labels the build asked for; only ever used to pick a template. */
  readonly labels: readonly string[];
  /** The CI's delivery id, for deduplication. */
  readonly deliveryId: string;
  readonly url?: string;
  readonly details: SourceDetails;
}

/** What parsing a verified webhook gives: an event, a reason to ignore it, or the field that is wrong. */
export type ParsedWebhook =
  | { readonly kind: 'event'; readonly event: BuildEvent }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly field: string; readonly problem: string };

export interface WebhookInput {
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The exact bytes received; the signature was verified on these. */
  readonly rawBody: Buffer;
}

/** What the provisioner knows when it asks a CI for an agent's credentials. */
export interface AgentRequest {
  readonly requestId: string;
  /** The agent's name at the CI; also the pod's name. */
  readonly agentName: string;
  readonly labels: readonly string[];
  readonly details: SourceDetails;
}

/**
 * An agent's connection settings. `secretEnv` goes into a Kubernetes Secret the pod reads
 * (never into the pod spec); `env` is not secret and goes into the pod spec.
 */
export interface AgentCredentials {
  readonly secretEnv: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string>>;
  /** The CI's id for the agent (GitHub runner id), to deregister it later. */
  readonly externalId?: string;
}

/**
 * One CI. Adding a CI means adding one folder that implements this (STYLE: one seam per kind of
 * outside world). Adapters translate HTTP failures into `CiError`s (errors.ts) and decide nothing else.
 */
export interface CiSourceAdapter {
  readonly name: CiSource;
  /** The header that carries `sha256=<hex HMAC-SHA256 of the raw body>`. */
  readonly signatureHeader: string;
  /** Parses a webhook whose signature was already verified. Never throws on bad input. */
  parseWebhook(input: WebhookInput): ParsedWebhook;
  createAgentCredentials(request: AgentRequest): Promise<AgentCredentials>;
  /** Removes the agent at the CI if it is still registered; a missing agent is success. */
  deregisterAgent(request: AgentRequest & { readonly externalId?: string }): Promise<void>;
  /**
   * Whether the agent runs a build right now, for CIs whose agents outlive a build (Jenkins). The
   * reaper reads it right before deleting an agent, and leaves the agent alone if this throws.
   */
  isAgentBusy?(agentName: string): Promise<boolean>;
  /**
   * Builds the CI has queued right now, as `queued` BuildEvents, so the reaper can provision those
   * whose webhook was lost. `deliveryId` is `poll:<jobKey>`. Must respect the CI's rate limits.
   */
  listQueuedBuilds?(): Promise<BuildEvent[]>;
}
