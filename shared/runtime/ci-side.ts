import { connectCluster } from '../cluster/connect';
import type { CiSide } from './runtime';
import { createSourceLoader } from './api-sources';

/**
 * What provision, reap and ops build, and the webhook never does: the cluster's API at cold start
 * (over which each binds the agent calls it makes, ./provision-ports.ts and ./reap-ports.ts), and the
 * loader of the CI API adapters, which loads each CI's code the first time the function needs it.
 * Their handlers import it and pass it to createRuntime; the webhook's bundle does not hold it.
 */
export const ciSide: CiSide = { connectCluster, createSourceLoader };
