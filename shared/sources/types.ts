import type { CiSource } from './names';
import type { CiError } from './errors';
import type { SigningScheme } from './signature';

/** What a CI says happened to one build. */
export const buildActions = ['queued', 'started', 'completed', 'cancelled'] as const;
export type BuildAction = (typeof buildActions)[number];

/**
 * Source-specific facts a later step needs to make the agent's credentials or deregister it,
 * kept on the request record. Never a secret. Each CI's shape is its module's `detailsSchema`
 * (shared/sources/<ci>/module.ts), which the record parses on every read; its adapter parses them
 * again with that schema to read its fields (`parseDetails`), so no shared type lists the CIs.
 */
export interface SourceDetails {
  /** The CI's name (a string here: the registry's names are typed from the modules, which use this). */
  readonly source: string;
  readonly [field: string]: unknown;
}

/** A test of a template's labels, and how to name what the build asks in a reason. */
export interface LabelRule {
  /** What the build asks, for a reason that no template serves it: `the label expression "a && !b"`. */
  readonly text: string;
  satisfiedBy(templateLabels: readonly string[]): boolean;
  /**
   * The build waits for an agent like one this template made, not for a label: Jenkins names the one
   * node its label has (`‘pc-linux-…’ is offline`). That template serves it, whatever its match and
   * over any template of higher priority.
   */
  madeBy?(templateName: string): boolean;
}

/**
 * Where a build comes from, for templates that serve only some origins (a template's `from`): a
 * repository, project or pipeline, named as its source's allow-list names it.
 */
export interface BuildOrigin {
  /** `owner/repo`, `group/project`, `organization/pipeline`: for reasons and logs. */
  readonly name: string;
  /** Whether one entry of a template's `from` (in its source's allow-list form) covers this origin. */
  matches(pattern: string): boolean;
}

/**
 * The most UTF-8 bytes a delivery id may have. It is part of the delivery marker's DynamoDB key,
 * `delivery#<source>#<id>#<16 hex>` (docs/state.md), and DynamoDB refuses a key over 2,048 bytes
 * with an error the state layer reports as unavailable: an id past this would be answered 503 at
 * every retry, so each receiver refuses it with 400. 2,000 leaves room for the longest source name
 * and keeps every ASCII id of 2,000 characters, the CloudEvent id's limit before bytes were counted.
 */
export const maxDeliveryIdBytes = 2000;

/** One webhook delivery, normalised: every source parses into this. */
export interface BuildEvent {
  readonly source: CiSource;
  /** Stable per build within the source: GitHub workflow_job.id, Jenkins controller URL + queue id, generic job.id. */
  readonly jobKey: string;
  readonly action: BuildAction;
  /** The labels the build asked for; only ever used to pick a template. */
  readonly labels: readonly string[];
  /**
   * What a template's labels must satisfy to serve the build, for a CI whose builds ask with more
   * than a set of labels: a Jenkins label expression can offer alternatives (`docker || podman`) and
   * refuse a label (`!gpu`), and the agent carries its template's labels. In memory only: the
   * template is picked before the build is recorded (shared/templates/match.ts).
   */
  readonly labelRule?: LabelRule;
  /**
   * Where the build comes from, for a CI whose agents Pitcrew can keep to it (GitHub's repository
   * runners, GitLab's project runners, Buildkite's `--acquire-job`). A build without one is never
   * served by a template with `from`. In memory only, as `labelRule`.
   */
  readonly origin?: BuildOrigin;
  /** The CI's delivery id, for deduplication: at most `maxDeliveryIdBytes` (it is part of a key). */
  readonly deliveryId: string;
  readonly url?: string;
  readonly details: SourceDetails;
  /**
   * Its CI hands a connected agent any build its labels fit (Jenkins): when the build starts, the
   * webhook asks provision to take the agents running builds out of rotation (one build per agent).
   */
  readonly retireAgentsOnStart?: boolean;
}

/**
 * Why a well-formed, signed delivery gets no agent because the operator did not trust its origin
 * (docs/security.md): the `reason` dimension of the RefusedJobs metric, kebab-case, one of its
 * receiver module's `refusalReasons` (`repository-not-allowed`, `job-too-old`...).
 */
export type RefusalReason = string;

/**
 * What parsing a verified webhook gives: an event, a reason to ignore it, a job the operator did not
 * allow (`subject` names it: a repository), or the field that is wrong.
 */
export type ParsedWebhook =
  | { readonly kind: 'event'; readonly event: BuildEvent }
  | { readonly kind: 'ignored'; readonly reason: string }
  | {
      readonly kind: 'refused';
      readonly reason: RefusalReason;
      readonly subject: string;
      readonly problem: string;
    }
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
  /** The template's labels, which the agent registers with (a template names at least one). */
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
  /** Env under the template's own (which may set these): where the agent works, say. */
  readonly envDefaults?: Readonly<Record<string, string>>;
  /** The CI's id for the agent (GitHub runner id), to deregister it later. */
  readonly externalId?: string;
}

/**
 * The webhook side of one CI: how its deliveries are signed, and how a verified one is parsed and
 * judged. Built from settings alone, never from CI API credentials, so the webhook function (whose
 * role may read only webhook secrets) holds none (docs/security.md).
 */
export interface WebhookReceiver {
  readonly name: CiSource;
  readonly signing: SigningScheme;
  /** Parses a webhook whose signature was already verified. Never throws on bad input. */
  parseWebhook(input: WebhookInput): ParsedWebhook;
}

/**
 * The API side of one CI. Adding a CI means adding one folder that implements this and a
 * `WebhookReceiver` (STYLE: one seam per kind of outside world). Adapters translate HTTP failures into
 * `CiError`s (errors.ts) and decide nothing else.
 */
export interface CiSourceAdapter {
  readonly name: CiSource;
  /**
   * Makes the agent at the CI and answers its connection settings. Only provision calls it: an
   * adapter leaves it out of the reaper's bundle by testing the bundle's name where it builds this
   * (./bundle.ts; bundles.test.ts checks each CI's by a text only its agent-making has). `jobKey`,
   * the build's key at its CI, is always there from provision (optional for the adapters' own tests).
   */
  createAgentCredentials(request: AgentRequest & { readonly jobKey?: string }): Promise<AgentCredentials>;
  /**
   * Removes the agent at the CI if it is still registered; a missing agent is success. An agent the
   * CI says runs a job throws `CiAgentBusyError`, unless `evenIfBusy` (its pod is gone, or goes anyway).
   */
  deregisterAgent(
    request: AgentRequest & { readonly externalId?: string; readonly evenIfBusy?: boolean },
  ): Promise<void>;
  /**
   * Whether the agent runs a build right now, for CIs whose agents outlive a build (Jenkins); with
   * `untilRetired`, also while it is still in rotation, so false only once it ran its build and is idle
   * (`retireBusyAgents`). The reaper reads it right before deleting an agent, and leaves the agent
   * alone if this throws. An agent the CI no longer has is not busy.
   */
  isAgentBusy?(agentName: string, untilRetired?: boolean): Promise<boolean>;
  /**
   * For CIs whose agents outlive a build (Jenkins): takes every Pitcrew agent that runs a build now out
   * of rotation, so that none runs a second build. Provision calls it when a build starts; answers the
   * agents taken out.
   */
  retireBusyAgents?(): Promise<readonly string[]>;

  /**
   * Whether the CI still waits to run the build (its job is queued, not started or ended). The reaper
   * asks it of a build whose agent finished before the CI said the build started, and gives a build
   * that still waits another agent (act.ts): that agent ran another job (a GitHub or GitLab runner
   * takes any job its labels fit), or ended before it took its job (a Buildkite agent evicted or
   * refused at registration).
   */
  buildWaits?(request: AgentRequest & { readonly jobKey: string }): Promise<boolean>;

  /**
   * Builds the CI has queued right now, as `queued` BuildEvents, so the reaper can provision those
   * whose webhook was lost. `deliveryId` is `poll:<jobKey>`. Must respect the CI's rate limits. A
   * CI that polls several repositories (projects, pipelines) gives a refusal for good of one to
   * `problem`, if given, and polls the others; a passing failure (a rate limit) too, and answers the
   * builds read before it (./poll-each.ts). Without `problem`, a failure throws.
   */
  listQueuedBuilds?(problem?: (error: CiError) => void): Promise<BuildEvent[]>;
}

/** A configured CI's API side. */
export interface ConfiguredSource {
  readonly adapter: CiSourceAdapter;
}
/** The configured CIs' API adapters by source; empty in the webhook function, which holds no CI credentials. */
export type SourceRegistry = Partial<Record<CiSource, ConfiguredSource>>;

/**
 * Builds into a function's SourceRegistry the adapters of `names` (every configured CI when absent)
 * it has not built yet, loading their code then (`Runtime.loadSources`). Absent from a function's
 * ports when its registry holds every adapter from the start (the tests' ports).
 */
export type LoadSources = (names?: readonly CiSource[]) => Promise<void>;
