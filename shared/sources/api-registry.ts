import type { CiApiModule } from './module';
import { buildkiteApiModule } from './buildkite/api-module';
import { genericApiModule } from './generic/api-module';
import { githubApiModule } from './github/api-module';
import { gitlabApiModule } from './gitlab/api-module';
import { jenkinsApiModule } from './jenkins/api-module';
import type { ciModules } from './registry';

type Registered = (typeof ciModules)[number];

/**
 * The API side of every module in registry.ts, by name. Kept apart from that list so that only the
 * functions that call a CI load the adapters (module.ts, `CiApiModule`); typed so that a CI registered
 * there without its API side here, or with another module's, does not compile.
 */
export const ciApiModules: {
  readonly [Name in Registered['name']]: CiApiModule<Extract<Registered, { name: Name }>>;
} = {
  github: githubApiModule,
  jenkins: jenkinsApiModule,
  generic: genericApiModule,
  buildkite: buildkiteApiModule,
  gitlab: gitlabApiModule,
};
