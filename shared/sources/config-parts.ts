import * as z from '../schema/zod';
import { stagePlaceholder } from '../config/stage-placeholder';
import type { AllowList } from './origin';

/**
 * The config-file schema parts every CI's config section is built from (<ci>/config-schema.ts).
 * They live here, not in shared/config/file-schema.ts, because file-schema.ts builds its `sources`
 * section from the CIs' schemas (config-registry.ts): a CI's schema importing file-schema.ts would be
 * an import cycle. file-schema.ts re-exports what the rest of the code imports from it
 * (`secretRefSchema`, `SecretRef`).
 */

export const nonEmpty = z.string().check(z.minLength(1));
export const positiveInt = z.int().check(z.positive());

export const envName = z
  .string()
  .check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'));

/**
 * An http(s) URL with no user or password in it. Credentials belong in a secret reference: a URL's
 * would be bundled into every function (dist/pitcrew.config.json) and printed in every error that
 * names the URL, and fetch refuses a URL that holds them. A URL with another scheme, or a
 * `host:port` with none (which `URL` reads as the scheme `host:`), is refused here, where it is
 * written, not at a cold start.
 */
// What `z.url()` has already refused is not judged again.
const urlOf = (url: string): URL | undefined => (URL.canParse(url) ? new URL(url) : undefined);
export const httpUrl = z.url().check(
  z.refine(
    (url: string) => /^https?:$/.test(urlOf(url)?.protocol ?? 'http:'),
    'must be an http:// or https:// URL',
  ),
  z.refine(
    (url: string) => !urlOf(url)?.username && !urlOf(url)?.password,
    'must not hold a user or password: put credentials in their own secret settings',
  ),
);

const awsArn = /^arn:aws[a-z-]*:/;
/**
 * The functions' roles are granted read on exactly the ARNs the config names (aws-access.ts), so an
 * ARN with an IAM wildcard would grant every secret it matches (`parameter/*`: all of the account's).
 */
const oneArn = (what: string) =>
  z.refine<string>(
    (ref: string) => !awsArn.test(ref) || !/[*?]/.test(ref),
    `must name one ${what}: an ARN with * or ? would let the functions read every ${what} it matches`,
  );
const ssmParameterName = z.string().check(
  z.maxLength(2048),
  z.refine(
    (name) => awsArn.test(name) || /^[A-Za-z0-9_.\-/]+$/.test(name.replaceAll(stagePlaceholder, 'stage')),
    'must be an SSM parameter name (letters, digits, _ . - /) or ARN',
  ),
  oneArn('parameter'),
);
const secretsManagerId = z.string().check(
  z.maxLength(2048),
  z.refine(
    (id) => awsArn.test(id) || /^[A-Za-z0-9/_+=.@-]+$/.test(id.replaceAll(stagePlaceholder, 'stage')),
    'must be a Secrets Manager secret name (letters, digits, / _ + = . @ -) or ARN',
  ),
  oneArn('secret'),
);

/**
 * Where a secret comes from. Values are never in the config file itself except for local `value`.
 * On AWS: an SSM parameter (SecureString or String) or a Secrets Manager secret, whose `key` picks one
 * field of a JSON secret. The build grants each function read on exactly these (scripts/build.ts).
 */
const secretRefForms =
  '{ ssm: <parameter> }, { secretsManager: <secret id>, key?: <field> }, { env: <NAME> }, { file: <path> } or { value: <text> }';
export const secretRefSchema = z.union(
  [
    z.strictObject({ env: envName }),
    z.strictObject({ file: nonEmpty }),
    z.strictObject({ value: nonEmpty }),
    z.strictObject({ ssm: ssmParameterName }),
    z.strictObject({ secretsManager: secretsManagerId, key: z.optional(nonEmpty) }),
  ],
  `must be a secret reference: ${secretRefForms}`,
);
export type SecretRef = z.infer<typeof secretRefSchema>;

/**
 * A webhook secret, or a list of them while one is rotated: a delivery signed with any entry verifies
 * (docs/security.md, "Rotating a webhook secret").
 */
export const webhookSecretsSchema = z.union(
  [secretRefSchema, z.array(secretRefSchema).check(z.minLength(1), z.maxLength(5))],
  `must be a secret reference (${secretRefForms}), or a list of up to 5 while one is rotated`,
);

/** How many of a source's builds may wait (queued or waiting) before its webhook answers 429. */
export const maxBacklog = z._default(positiveInt, 500);

/** How far a Pitcrew-signed delivery's X-Pitcrew-Timestamp may be from now, either way. */
export const signatureToleranceSeconds = z._default(z.int().check(z.minimum(30), z.maximum(3600)), 300);

/** A config issue, as a module's `superRefine` adds it (a type, not an interface: zod's takes any key). */
export type SectionIssue = {
  readonly code: 'custom';
  readonly path: (string | number)[];
  readonly message: string;
};

/**
 * A CI section's check that every entry of its poll list is covered by its allow-list: the reaper
 * polls only origins the webhook would serve (`sources.<ci>.<poll>` within `sources.<ci>.<allowed>`).
 */
export const pollListCovered = <Poll extends string, Allowed extends string>(
  ci: string,
  keys: { readonly poll: Poll; readonly allowed: Allowed },
  matches: (pattern: string, entry: string) => boolean,
) =>
  z.superRefine((section: Readonly<Record<Poll | Allowed, readonly string[]>>, ctx) => {
    const lists = { poll: section[keys.poll], allowed: section[keys.allowed] };
    for (const issue of uncoveredPollEntries(ci, keys, lists, matches)) ctx.addIssue(issue);
  });

/** The entries of a CI's poll list that its allow-list does not cover. */
function uncoveredPollEntries(
  ci: string,
  keys: { readonly poll: string; readonly allowed: string },
  lists: { readonly poll: readonly string[]; readonly allowed: readonly string[] },
  matches: (pattern: string, entry: string) => boolean,
): SectionIssue[] {
  return lists.poll.flatMap((entry, index) =>
    lists.allowed.some((pattern) => matches(pattern, entry))
      ? []
      : [
          {
            code: 'custom' as const,
            path: [keys.poll, index],
            message: `'${entry}' is not among sources.${ci}.${keys.allowed}`,
          },
        ],
  );
}

/**
 * What a template's `from` may list for one CI (shared/config/file-schema.ts checks it;
 * docs/security.md, "Templates kept to some origins"): `listed`, entries in the form of the CI's
 * allow-list, for a CI whose agents Pitcrew keeps to the build's origin, unless its settings say
 * otherwise (`unenforceable`); `unenforceable`, for a CI that hands an agent to any build whose
 * labels it satisfies.
 */
export type TemplateOrigins<Settings> =
  | {
      readonly kind: 'listed';
      readonly entry: z.ZodMiniType<string, unknown>;
      readonly unenforceable?: (settings: Settings) => string | undefined;
      /**
       * The section's allow-list (its key and entries) and its matcher: an entry of `from` naming one
       * origin that the allow-list leaves out would never serve a build, so the config refuses it.
       */
      readonly allowList: (settings: Settings) => AllowList;
      readonly matches: (pattern: string, origin: string) => boolean;
    }
  | { readonly kind: 'unenforceable'; readonly why: string };
