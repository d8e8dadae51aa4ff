import type { CiSource } from '../../../shared/sources';

/** What a CI says about a build, as the local tools make its CI send it. */
export type LocalBuildAction = 'queued' | 'started' | 'completed' | 'cancelled';

/** A webhook as a CI sends it, before signing: the JSON body and the CI's own headers (lower-cased). */
export interface LocalDelivery {
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;
}

export interface DeliveryOptions {
  /** The CI's delivery id; a fresh one when not given. */
  readonly deliveryId?: string;
  /** The labels (tags, agent query rules) the build asks for; the kit's `labels` when not given. */
  readonly labels?: readonly string[];
  /** On `completed`: the build failed on its agent (its agent exited with an error). */
  readonly failed?: boolean;
}

/** What a CI's bodies may name of its running stand-in. */
export interface DeliveryContext {
  /** The stand-in's base URL (a Jenkins controller's URL is part of its job keys). */
  readonly url?: string;
}

/** A failure a stand-in answers every API call with for a while (the storm's CI outages). */
export interface LocalCiFailure {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** One CI's stand-in while it runs, with what the local tools need of it. */
export interface RunningLocalCi {
  /**
   * Its API stand-in, for `pitcrew dev` to print (`description`: what it plays, "the GitHub REST
   * API"); undefined for a CI Pitcrew never calls.
   */
  readonly standIn?: { readonly url: string; readonly description: string };
  /**
   * Its `sources.<name>` config section pointing at the stand-in: the given webhook secret, its API
   * secrets as `{ value }` references, and whatever allow-list admits the kit's own deliveries.
   */
  configSection(webhookSecret: string, extra?: { readonly maxBacklog?: number }): Record<string, unknown>;
  /** What its deliveries need of the running stand-in (its URL), for `LocalCi.delivery`. */
  readonly context: DeliveryContext;
  /** The agents registered at the stand-in right now, by name (none for a CI without agents there). */
  agentNames(): readonly string[];
  /** Makes its API answer `failure` for `forMs` (absent: no API to fail). */
  failFor?(forMs: number, failure: LocalCiFailure): void;
  /** API calls answered with an injected failure so far, by kind (a status, or `reset`). */
  failuresServed?(): Readonly<Record<string, number>>;
  close(): Promise<void>;
}

/**
 * One CI as the local tools play it (`pitcrew dev`, `pitcrew demo`, the storm): the labels and
 * template its builds use and a way to start its stand-in. Each CI has one file beside this, listed
 * in local-cis.ts; the tools iterate over that list and never name a CI.
 */
export interface LocalCi<Name extends CiSource = CiSource> {
  readonly name: Name;
  /** The labels its dev, demo and storm builds ask for; its template matches them. */
  readonly labels: readonly string[];
  /** What its template adds to name, source, labels and cap (an image when the CI has no default). */
  readonly template: Readonly<Record<string, unknown>>;
  /**
   * The webhook its CI sends when build `id` changes state (pure; signed by the caller). `context`
   * is what a running stand-in knows (its URL), for CIs whose bodies name it.
   */
  delivery(
    id: number,
    action: LocalBuildAction,
    options?: DeliveryOptions,
    context?: DeliveryContext,
  ): LocalDelivery;
  /** The jobKey its receiver derives for build `id`. */
  jobKeyOf(id: number, context?: DeliveryContext): string;
  /**
   * For the property tests of bad input (test/integration/reliability/webhook-properties.test.ts):
   * paths of the string fields of its deliveries that reach its parser (labels, names, URLs, dates).
   */
  readonly stringFields: readonly (readonly string[])[];
  /**
   * For the same tests: changes (path, value) that turn one of its deliveries into a well-formed
   * delivery from an origin its `configSection` does not allow (refused, never recorded).
   */
  readonly untrustedChanges: readonly (readonly [readonly string[], unknown])[];
  /**
   * A second origin its `configSection` allows and its stand-in knows, named as a template's `from`
   * lists it, and the changes (path, value) that move one of its deliveries there; absent for a CI
   * whose templates take no `from` (test/integration/reliability/template-origins.test.ts).
   */
  readonly secondOrigin?: {
    readonly name: string;
    readonly changes: readonly (readonly [readonly string[], unknown])[];
  };
  /** Starts its stand-in (nothing to start for a CI Pitcrew never calls). */
  start(): Promise<RunningLocalCi>;
}
