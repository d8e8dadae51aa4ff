import { registeredModules } from '../../../shared/sources/registry';
import type { CiSource } from '../../../shared/sources/names';
import { type CiContractSamples, describeCiSourceContract } from '../../contracts/ci-source';
import { buildkiteContractSamples } from './buildkite/contract-samples';
import { genericContractSamples } from './generic/contract-samples';
import { githubContractSamples } from './github/contract-samples';
import { gitlabContractSamples } from './gitlab/contract-samples';
import { jenkinsContractSamples } from './jenkins/contract-samples';

/** Every registered CI module keeps the contract; a module registered without samples does not compile. */
const samples: { readonly [Name in CiSource]: CiContractSamples } = {
  github: githubContractSamples,
  jenkins: jenkinsContractSamples,
  generic: genericContractSamples,
  buildkite: buildkiteContractSamples,
  gitlab: gitlabContractSamples,
};

for (const module of registeredModules) describeCiSourceContract(module, samples[module.name]);
