import { requestIdFor } from '../../../shared/requests';
import type { CiSource } from '../../../shared/sources';
import type { DeliveryOptions, LocalBuildAction } from './local-ci';
import { localCiOf } from './local-cis';

/** What a CI says about a build, as its kit makes the CI send it. */
export type BuildAction = LocalBuildAction;

export interface Delivery {
  readonly source: CiSource;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;
}

/** One build at one CI: a number unique within the test, so every source can use it as its job id. */
export interface Build {
  readonly source: CiSource;
  readonly id: number;
}

/**
 * The jobKey the source's receiver derives, so tests can find the request. `standInUrl`: the running
 * stand-in's URL, for a CI whose keys name it (a Jenkins controller).
 */
export const jobKeyOf = (build: Build, standInUrl: string): string =>
  localCiOf(build.source).jobKeyOf(build.id, { url: standInUrl });

export const requestIdOf = (build: Build, standInUrl: string): string =>
  requestIdFor(build.source, jobKeyOf(build, standInUrl));

/**
 * The webhook a CI sends when a build changes state, with a fresh delivery id unless one is given,
 * as the CI's kit (infra/local/stand-ins/local-ci/) writes it.
 */
export function deliveryFor(build: Build, action: BuildAction, options: DeliveryOptions = {}): Delivery {
  return { source: build.source, ...localCiOf(build.source).delivery(build.id, action, options) };
}
