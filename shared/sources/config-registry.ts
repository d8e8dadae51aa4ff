import type * as z from '../schema/zod';
import type { TemplateOrigins } from './config-parts';
import type { CiConfigSchema, SettingsOf } from './module';
import { buildkiteConfigSchema, buildkiteTemplateOrigins } from './buildkite/config-schema';
import { genericConfigSchema, genericTemplateOrigins } from './generic/config-schema';
import { githubConfigSchema, githubTemplateOrigins } from './github/config-schema';
import { gitlabConfigSchema, gitlabTemplateOrigins } from './gitlab/config-schema';
import { jenkinsConfigSchema, jenkinsTemplateOrigins } from './jenkins/config-schema';
import type { ciModules } from './registry';

type Registered = (typeof ciModules)[number];

const schemas = {
  github: githubConfigSchema,
  jenkins: jenkinsConfigSchema,
  generic: genericConfigSchema,
  buildkite: buildkiteConfigSchema,
  gitlab: gitlabConfigSchema,
};

/** True only when A and B are the same type (each assignable to the other). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/**
 * Each schema's output is exactly its module's settings: assignability alone would let one CI's
 * schema stand for another's whose fields it covers (Jenkins's for generic's, say).
 */
type OutputsMatch = {
  [Name in Registered['name']]: Same<
    z.output<(typeof schemas)[Name]>,
    SettingsOf<Extract<Registered, { name: Name }>>
  >;
};
const outputsMatch: false extends OutputsMatch[Registered['name']] ? never : true = true;
void outputsMatch;

/**
 * The config section, `sources.<name>`, of every module in registry.ts, by name. Kept apart from that
 * list so that only the full config parser (shared/config/file-schema.ts: `pitcrew dev`, the CLI,
 * `npm run package`) loads the schemas; a deployed function reads the compiled config and never does
 * (test/integration/deploy/bundles.test.ts). Typed so that a CI registered there without its schema
 * here, or with a schema whose output is not exactly its module's settings, does not compile.
 */
export const ciConfigSchemas: {
  readonly [Name in Registered['name']]: CiConfigSchema<Extract<Registered, { name: Name }>>;
} = schemas;

/** What a template's `from` may list for each CI (shared/config/file-schema.ts), by name. */
export const ciTemplateOrigins: {
  readonly [Name in Registered['name']]: TemplateOrigins<SettingsOf<Extract<Registered, { name: Name }>>>;
} = {
  github: githubTemplateOrigins,
  jenkins: jenkinsTemplateOrigins,
  generic: genericTemplateOrigins,
  buildkite: buildkiteTemplateOrigins,
  gitlab: gitlabTemplateOrigins,
};

/**
 * For a CI whose deliveries carry no labels, the labels every one of its builds asks for (GitLab's
 * Job Hook has no tags: each job asks for `sources.gitlab.tags`). A template that cannot serve them
 * serves none of that CI's builds, so the config refuses it (shared/config/file-schema.ts).
 */
export const ciLabelsOfEveryBuild: {
  readonly [Name in Registered['name']]?: (settings: SettingsOf<Extract<Registered, { name: Name }>>) => {
    readonly key: string;
    readonly labels: readonly string[];
  };
} = {
  gitlab: (gitlab) => ({ key: 'tags', labels: gitlab.tags }),
};
