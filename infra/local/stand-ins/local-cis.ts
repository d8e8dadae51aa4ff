import type { CiSource } from '../../../shared/sources';
import { buildkiteLocalCi } from './local-ci/buildkite';
import { genericLocalCi } from './local-ci/generic';
import { githubLocalCi } from './local-ci/github';
import { gitlabLocalCi } from './local-ci/gitlab';
import { jenkinsLocalCi } from './local-ci/jenkins';
import type { LocalCi } from './local-ci';

/**
 * Every CI as the local tools play it (`pitcrew dev`, `pitcrew demo`, the storm, the property tests),
 * one kit per registered module: test/unit/infra/local-cis.test.ts holds this list to
 * shared/sources/registry.ts.
 */
export const localCis: readonly LocalCi[] = [
  githubLocalCi,
  jenkinsLocalCi,
  genericLocalCi,
  buildkiteLocalCi,
  gitlabLocalCi,
];

/** The kit of a registered CI. */
export function localCiOf(name: CiSource): LocalCi {
  const kit = localCis.find((candidate) => candidate.name === name);
  if (!kit) throw new TypeError(`no local kit for the CI '${name}' (infra/local/stand-ins/local-cis.ts)`);
  return kit;
}
