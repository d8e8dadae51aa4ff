import * as z from '../schema/zod';
import { envName, httpUrl, nonEmpty, positiveInt, secretRefSchema } from '../sources/config-parts';
import { ciConfigSchemas, ciLabelsOfEveryBuild, ciTemplateOrigins } from '../sources/config-registry';
import { queueLimits } from '../queue/limits';
import { ciSources } from '../sources/names';
import { ciModuleOf, ciModules, registeredModules } from '../sources/registry';
import { matchTemplate } from '../templates/match';
import { clusterSecretEntries } from './cluster-secret-entries';
import { sourceSecretEntries } from './secret-entries';
import { mayBeOneSecret, secretIdentity, secretsManagerReferenceName } from './secret-identity';
import { templateDefaults } from './template-defaults';

/**
 * The Pitcrew config file (YAML). Reference with every default: docs/configuration.md.
 * Parsed by `npm run package` (and at cold start for a file it did not compile: load.ts); errors
 * name the key (`templates.1.image: ...`).
 */

const nonNegativeInt = z.int().check(z.nonnegative());

const dnsLabel = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(63),
    z.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label: lower-case letters, digits and -'),
  );
const quantity = z.union([
  // The API's grammar (resource.Quantity): suffixes are case-sensitive, so 2GB or 1gi, refused by the
  // API server on every pod create, is refused here.
  z
    .string()
    .check(
      z.regex(
        /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/,
        'must be a Kubernetes quantity such as 500m, 2 or 1Gi (suffixes n u m k M G T P E, Ki Mi Gi Ti Pi Ei, case-sensitive)',
      ),
    ),
  z.number(),
]);

export { secretRefSchema } from '../sources/config-parts';
export { stagePlaceholder } from './stage-placeholder';
export type { SecretRef } from '../sources/config-parts';

const resourceList = z.strictObject({
  cpu: z.optional(quantity),
  memory: z.optional(quantity),
  'ephemeral-storage': z.optional(quantity),
});
const resourcesSchema = z.strictObject({
  requests: z.optional(resourceList),
  limits: z.optional(resourceList),
});

/**
 * The built-in `defaults.resources`. A config's own is merged over it field by field (each key of
 * requests and limits, docs/configuration.md), as a template's resources are over the defaults
 * (templates/resources.ts): raising the default CPU request must not drop the memory and disk limits
 * no agent runs without (resource-checks.ts).
 */
const builtInResources = {
  requests: { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '1Gi' },
  limits: { memory: '2Gi', 'ephemeral-storage': '10Gi' },
} as const;
const defaultResourcesSchema = z.strictObject({
  requests: z._default(
    z.strictObject({
      cpu: z._default(quantity, builtInResources.requests.cpu),
      memory: z._default(quantity, builtInResources.requests.memory),
      'ephemeral-storage': z._default(quantity, builtInResources.requests['ephemeral-storage']),
    }),
    builtInResources.requests,
  ),
  limits: z._default(
    z.strictObject({
      cpu: z.optional(quantity),
      memory: z._default(quantity, builtInResources.limits.memory),
      'ephemeral-storage': z._default(quantity, builtInResources.limits['ephemeral-storage']),
    }),
    builtInResources.limits,
  ),
});

/** An IPv4 or IPv6 CIDR, as a NetworkPolicy ipBlock takes it. */
const cidr = z.union([z.cidrv4(), z.cidrv6()], 'must be a CIDR such as 10.0.0.0/16 or fd00::/8');

/**
 * The metadata and credential endpoints an agent must never reach, whatever the config says: EC2's
 * IMDS (IPv4 and IPv6), the ECS task metadata and credentials endpoint, and the EKS Pod Identity
 * agent (IPv4 and IPv6). An agent that reaches them can take the node's or another pod's role.
 */
const provisionTimeoutMs = queueLimits.provisionTimeoutSeconds * 1000;
const underProvisionTimeout = `must be less than ${provisionTimeoutMs} (the provision function's timeout, in ms)`;

export const metadataCidrs = [
  '169.254.169.254/32',
  '169.254.170.2/32',
  '169.254.170.23/32',
  'fd00:ec2::254/128',
  'fd00:ec2::23/128',
] as const;

// A label's key (an optional DNS-subdomain prefix and a name) and value, as the API server takes them.
const labelKey =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const labelValue = z
  .string()
  .check(
    z.regex(
      /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/,
      'must be a Kubernetes label value: at most 63 letters, digits, -, _ and .',
    ),
  );

/**
 * A DNS server an agent whose template lists `egressCidrs` may send to on port 53: the cluster's
 * DNS pods, chosen by their namespace and labels (a Service's address is translated before the
 * policy sees it on most CNIs, so a selector is what matches), or an address outside the pod network
 * (NodeLocal DNSCache's 169.254.20.10, the VPC resolver).
 */
const dnsServerSchema = z
  .strictObject({
    cidr: z.optional(cidr),
    namespace: z.optional(dnsLabel),
    // Keys are checked below: a record's key schema reports only "Invalid key in record".
    podLabels: z.optional(z.record(z.string(), labelValue)),
  })
  .check(
    z.superRefine((server, ctx) => {
      const byPods = server.namespace !== undefined || server.podLabels !== undefined;
      const issue = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
      for (const key of Object.keys(server.podLabels ?? {}))
        if (!labelKey.test(key))
          issue(
            ['podLabels', key],
            'must be a Kubernetes label key such as k8s-app or app.kubernetes.io/name',
          );
      if (server.cidr !== undefined && byPods)
        issue(['cidr'], 'name a server by cidr, or by namespace and podLabels, not both');
      else if (server.cidr === undefined && !byPods)
        issue([], 'must give a cidr, or a namespace and podLabels');
      else if (byPods && (server.namespace === undefined || Object.keys(server.podLabels ?? {}).length === 0))
        issue(
          [server.namespace === undefined ? 'namespace' : 'podLabels'],
          'a server chosen by its pods needs both a namespace and at least one of its pod labels',
        );
    }),
  );
export type DnsServer = z.infer<typeof dnsServerSchema>;

/** The cluster DNS of EKS, GKE, AKS, kubeadm and kind: CoreDNS (or kube-dns) pods in kube-system. */
export const clusterDnsPods: DnsServer = { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } };

/** What agents may reach over the network (docs/security.md, "The agent's boundary"). */
const networkSchema = z.strictObject({
  /** Never reachable from an agent, beside the metadata endpoints, which are always denied. */
  deniedEgressCidrs: z._default(z.array(cidr), [...metadataCidrs]),
  /** The API server's addresses (an EKS endpoint's private IPs, a cluster's service CIDR host). */
  apiServerCidrs: z._default(z.array(cidr), []),
  /**
   * Where an agent whose template lists `egressCidrs` may send DNS. Port 53 to any address would let
   * a build carry any protocol past its list to a server of its own on that port.
   */
  dnsServers: z._default(z.array(dnsServerSchema), [clusterDnsPods]),
});
const defaultNetwork = {
  deniedEgressCidrs: [...metadataCidrs],
  apiServerCidrs: [],
  dnsServers: [clusterDnsPods],
};

const clusterCredentialsSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('kubeconfig'), path: nonEmpty, context: z.optional(z.string()) }),
  z.strictObject({
    kind: z.literal('token'),
    server: httpUrl,
    /** A ServiceAccount token; read again when the API server answers 401 (it was rotated). */
    token: secretRefSchema,
    /** PEM or base64 PEM of the cluster CA, or a reference to a secret holding it. */
    caData: z.optional(z.union([nonEmpty, secretRefSchema])),
    /** Local clusters only: never verify the server certificate. */
    skipTlsVerify: z._default(z.boolean(), false),
  }),
  z.strictObject({
    kind: z.literal('eks'),
    /** The token names this cluster (`x-k8s-aws-id`); without `server`, DescribeCluster is asked. */
    clusterName: z
      .string()
      .check(
        z.regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, 'must be an EKS cluster name (letters, digits, - and _)'),
      ),
    /** The cluster's region; default: the function's. */
    region: z.optional(
      z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as eu-west-1')),
    ),
    /** The API endpoint and its CA (base64 PEM, as DescribeCluster gives it): saves a call per cold start. */
    server: z.optional(httpUrl),
    caData: z.optional(nonEmpty),
  }),
]);

const clusterSchema = z
  .strictObject({
    namespace: z._default(dnsLabel, 'pitcrew-agents'),
    /**
     * The provisioner's own ServiceAccount (infra/k8s): no template may name it, as an agent holding
     * its token could read every agent's credentials and create pods.
     */
    provisionerServiceAccount: z._default(
      z.strictObject({
        name: z._default(dnsLabel, 'pitcrew-provisioner'),
        namespace: z._default(dnsLabel, 'pitcrew-system'),
      }),
      { name: 'pitcrew-provisioner', namespace: 'pitcrew-system' },
    ),
    network: z._default(networkSchema, defaultNetwork),
    credentials: clusterCredentialsSchema,
    // A call must end inside the provision function's timeout, or Lambda stops the whole batch first
    // and every message in it comes back (infra/limits.json).
    connectTimeoutMs: z._default(positiveInt.check(z.lt(provisionTimeoutMs, underProvisionTimeout)), 5000),
    requestTimeoutMs: z._default(positiveInt.check(z.lt(provisionTimeoutMs, underProvisionTimeout)), 15000),
  })
  .check(
    z.superRefine((cluster, ctx) => {
      // In one namespace, the provisioner's token Secret would be an agent's volume away.
      if (cluster.provisionerServiceAccount.namespace === cluster.namespace)
        ctx.addIssue({
          code: 'custom',
          path: ['provisionerServiceAccount', 'namespace'],
          message: `must not be the agents' namespace '${cluster.namespace}': the provisioner's token would sit beside untrusted builds`,
        });
      const credentials = cluster.credentials;
      if (credentials.kind === 'eks' && Boolean(credentials.server) !== Boolean(credentials.caData))
        ctx.addIssue({
          code: 'custom',
          path: ['credentials', credentials.server ? 'caData' : 'server'],
          message: 'server and caData go together (or leave both out to ask DescribeCluster)',
        });
    }),
  );

/**
 * How long a secret read from SSM or Secrets Manager is reused before it is read again. At least
 * 30 s: the webhook reads its secrets again before a request once they are older than this, and a
 * request need not be signed to make it read, so 0 would let anyone drive SSM's rate. At most an
 * hour: a webhook secret deleted or revoked verifies in a warm container until it is read again (and
 * one more age if that read fails for now), so a day would keep a leaked secret signing for a day.
 */
const secretsSchema = z.strictObject({
  maxAgeSeconds: z._default(
    z
      .int()
      .check(
        z.gte(
          30,
          'must be at least 30: secrets are read again before any request once they are older, signed or not',
        ),
        z.lte(
          3600,
          'must be at most 3600: a deleted or revoked webhook secret keeps verifying until it is read again',
        ),
      ),
    300,
  ),
});

/**
 * Each CI's section, `sources.<name>`, is its config schema (shared/sources/<ci>/config-schema.ts,
 * registered in shared/sources/config-registry.ts), in the registry's order.
 */
type ModuleSections = {
  [Name in keyof typeof ciConfigSchemas]: z.ZodMiniOptional<(typeof ciConfigSchemas)[Name]>;
};
const sourcesSchema = z.strictObject(
  Object.fromEntries(
    ciModules.map((module) => [module.name, z.optional(ciConfigSchemas[module.name])]),
  ) as ModuleSections,
);

const retentionSchema = z.strictObject({
  policy: z._default(z.enum(['never', 'onFailure', 'always']), 'never'),
  minutes: z._default(nonNegativeInt, 0),
});

export const templateSchema = z.strictObject({
  name: dnsLabel.check(z.maxLength(40, 'must be at most 40 characters (pod names add a suffix)')),
  source: z.enum(ciSources),
  labels: z.array(z.string().check(z.minLength(1), z.maxLength(100))).check(z.minLength(1)),
  /** subset: serves a build whose labels are all among the template's; exact: only the same set. */
  match: z._default(z.enum(['subset', 'exact']), 'subset'),
  /** Higher wins when several templates match. */
  priority: z._default(z.int(), 0),
  /**
   * Serves only builds from these origins, in its source's allow-list form (GitHub repositories,
   * GitLab projects, Buildkite pipelines); default: any its source allows. Without it, anyone who can
   * push a build to an allowed origin can ask for this template by its labels (docs/security.md).
   */
  from: z.optional(z.array(z.string()).check(z.minLength(1, 'list at least one origin'), z.maxLength(100))),
  image: z.optional(nonEmpty),
  command: z.optional(z.array(z.string())),
  args: z.optional(z.array(z.string())),
  env: z._default(z.record(envName, z.string()), {}),
  resources: z.optional(resourcesSchema),
  nodeSelector: z.optional(z.record(z.string(), z.string())),
  tolerations: z.optional(z.array(z.record(z.string(), z.unknown()))),
  /** Mounts that ServiceAccount's token; without it, no token is mounted. Never the provisioner's. */
  serviceAccount: z.optional(dnsLabel),
  /** The agents' user id, for an image built for another user than the source's (pod.ts). */
  runAsUser: z.optional(positiveInt.check(z.maximum(2 ** 31 - 1))),
  /**
   * The Pod Security Standard the rendered pod must meet, checked at config load. `baseline` and
   * `privileged` are for Docker-in-Docker and the like, at a risk docs/configuration.md explains.
   */
  podSecurity: z._default(z.enum(['restricted', 'baseline', 'privileged']), 'restricted'),
  /** A stricter egress allow-list for this template's agents (CIDRs); default: all but the denied. */
  egressCidrs: z.optional(z.array(cidr)),
  volumes: z.optional(z.array(z.record(z.string(), z.unknown()))),
  volumeMounts: z.optional(z.array(z.record(z.string(), z.unknown()))),
  /** Raw pod YAML merged over the generated pod (rules in docs/configuration.md). */
  podYaml: z.optional(z.string()),
  instanceCap: z._default(nonNegativeInt, 10),
  pendingTimeoutSeconds: z._default(positiveInt, templateDefaults.pendingTimeoutSeconds),
  idleMinutes: z._default(nonNegativeInt, templateDefaults.idleMinutes),
  // The API's bound on activeDeadlineSeconds (a 32-bit integer), which this becomes.
  maxLifetimeSeconds: z._default(
    positiveInt.check(z.maximum(2 ** 31 - 1)),
    templateDefaults.maxLifetimeSeconds,
  ),
  retention: z._default(retentionSchema, { policy: 'never', minutes: 0 }),
  retries: z._default(nonNegativeInt, templateDefaults.retries),
});
export type AgentTemplate = z.infer<typeof templateSchema>;

/** The reaper's own timings; docs/reaper.md explains each. */
export const reaperSchema = z.strictObject({
  orphanGraceSeconds: z._default(nonNegativeInt, 120),
  stuckGraceSeconds: z._default(nonNegativeInt, 60),
  lostGraceSeconds: z._default(nonNegativeInt, 60),
  staleQueuedSeconds: z._default(nonNegativeInt, 900),
  /** A request still queued or waiting this long after it was recorded is failed as `expired`. */
  maxWaitHours: z._default(z.int().check(z.minimum(1)), 24),
});

export const configFileSchema = z
  .strictObject({
    cluster: clusterSchema,
    capacity: z._default(z.strictObject({ globalCap: z._default(nonNegativeInt, 20) }), { globalCap: 20 }),
    sources: sourcesSchema,
    defaults: z._default(
      z.strictObject({
        resources: z._default(defaultResourcesSchema, builtInResources),
        runAsUser: z._default(positiveInt.check(z.maximum(2 ** 31 - 1)), 1000),
      }),
      { resources: builtInResources, runAsUser: 1000 },
    ),
    templates: z.array(templateSchema).check(z.minLength(1)),
    reaper: z._default(reaperSchema, {
      orphanGraceSeconds: 120,
      stuckGraceSeconds: 60,
      lostGraceSeconds: 60,
      staleQueuedSeconds: 900,
      maxWaitHours: 24,
    }),
    secrets: z._default(secretsSchema, { maxAgeSeconds: 300 }),
  })
  .check(
    z.superRefine((config, ctx) => {
      const seen = new Set<string>();
      config.templates.forEach((template, index) => {
        if (seen.has(template.name))
          ctx.addIssue({
            code: 'custom',
            path: ['templates', index, 'name'],
            message: `'${template.name}' is used by another template`,
          });
        seen.add(template.name);
        if (!config.sources[template.source]) {
          ctx.addIssue({
            code: 'custom',
            path: ['templates', index, 'source'],
            message: `'${template.source}' has no connection under sources`,
          });
        }
        if (template.serviceAccount === config.cluster.provisionerServiceAccount.name) {
          ctx.addIssue({
            code: 'custom',
            path: ['templates', index, 'serviceAccount'],
            message: `'${template.serviceAccount}' is the provisioner's own account: an agent holding its token could read every agent's credentials; name an account of its own`,
          });
        }
        if (template.from) checkTemplateOrigins(template, index, config.sources, ctx);
        checkServesEveryBuild(template, index, config.sources, ctx);
        if (!template.image && !ciModuleOf(template.source).podDefaults.image) {
          ctx.addIssue({
            code: 'custom',
            path: ['templates', index, 'image'],
            message: `is required for ${template.source} templates`,
          });
        }
      });
      refuseSecretsManagerThroughSsm(config, ctx);
      refuseSharedWebhookSecrets(config.sources, ctx);
    }),
  );

/**
 * SSM's `/aws/reference/secretsmanager/<name>` reads a Secrets Manager secret, which takes
 * secretsmanager:GetSecretValue on that secret as well as ssm:GetParameter; the build grants an
 * `ssm` reference the latter only (aws-access.ts), so every read of one would be denied. Refused
 * here, naming the form that is granted.
 */
function refuseSecretsManagerThroughSsm(config: PitcrewConfig, ctx: z.core.$RefinementCtx): void {
  for (const { where, ref } of [
    ...sourceSecretEntries(config.sources),
    ...clusterSecretEntries(config.cluster),
  ]) {
    const name = 'ssm' in ref ? secretsManagerReferenceName(ref.ssm) : undefined;
    if (name !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: [...where.split('.'), 'ssm'],
        message: `reads a Secrets Manager secret through SSM, which also needs secretsmanager:GetSecretValue, and the build grants an ssm reference ssm:GetParameter only: write { secretsManager: '${name}' } instead`,
      });
  }
}

/** A template of a CI whose builds all ask for the same labels must serve them (`ciLabelsOfEveryBuild`). */
function checkServesEveryBuild(
  template: AgentTemplate,
  index: number,
  sources: PitcrewConfig['sources'],
  ctx: z.core.$RefinementCtx,
): void {
  const settings = sources[template.source];
  // The cast: `settings` is the section of `template.source`, which TypeScript cannot tie to the hook.
  const asked = settings && ciLabelsOfEveryBuild[template.source]?.(settings as never);
  if (!asked) return;
  // Its `from` is judged apart (checkTemplateOrigins): here only whether its labels could ever serve.
  const build = { source: template.source, labels: asked.labels };
  if (matchTemplate([{ ...template, from: undefined }], build).kind === 'match') return;
  ctx.addIssue({
    code: 'custom',
    path: ['templates', index, 'labels'],
    message: `serves no ${template.source} build: every one asks for sources.${template.source}.${asked.key} [${asked.labels.join(', ')}] (its events carry no labels of their own), and these labels ${template.match === 'exact' ? 'are not that set (match: exact)' : 'do not offer them all'}`,
  });
}

/**
 * A template's `from`: each entry in its source's allow-list form, and only for a CI and settings
 * under which an agent serves no build from elsewhere (shared/sources/config-registry.ts).
 */
function checkTemplateOrigins(
  template: AgentTemplate,
  index: number,
  sources: PitcrewConfig['sources'],
  ctx: z.core.$RefinementCtx,
): void {
  const path = ['templates', index, 'from'];
  const settings = sources[template.source];
  const origins = ciTemplateOrigins[template.source];
  if (origins.kind === 'unenforceable') {
    ctx.addIssue({ code: 'custom', path, message: origins.why });
    return;
  }
  // With no connection for its source the template is refused already; nothing to check against.
  // The cast: `settings` is the section of `template.source`, which TypeScript cannot tie to `origins`.
  const unenforceable = settings && origins.unenforceable?.(settings as never);
  if (unenforceable) ctx.addIssue({ code: 'custom', path, message: unenforceable });
  const allowList = settings && origins.allowList(settings as never);
  (template.from ?? []).forEach((entry, entryIndex) => {
    const parsed = z.safeParse(origins.entry, entry);
    const problem = !parsed.success
      ? (parsed.error.issues[0]?.message ?? 'is not valid')
      : allowList && !allows(allowList.patterns, entry, origins.matches)
        ? `'${entry}' is not among sources.${template.source}.${allowList.key}: no build from it is ever taken`
        : undefined;
    if (problem) ctx.addIssue({ code: 'custom', path: [...path, entryIndex], message: problem });
  });
}

/** The segments of a path or pattern before its wildcard, lower-cased: `Acme/*` gives [acme]. */
const fixedSegments = (pattern: string): string[] =>
  pattern
    .toLowerCase()
    .split('/')
    .filter((segment) => segment !== '*' && segment !== '**');

/**
 * Whether an allow-list may let through a build that `entry` (one origin, or a wildcard) covers: one
 * origin must match a pattern; a wildcard must share its fixed part with one (`acme/*` with
 * `acme/app` or `acme/*`, not with `other/*`). Errs on letting an entry pass, which can only serve
 * fewer builds.
 */
function allows(
  patterns: readonly string[],
  entry: string,
  matches: (pattern: string, origin: string) => boolean,
): boolean {
  if (!entry.endsWith('*')) return patterns.some((pattern) => matches(pattern, entry));
  const fixed = fixedSegments(entry);
  return patterns.some((pattern) => {
    const other = fixedSegments(pattern);
    const shorter = Math.min(fixed.length, other.length);
    return fixed.slice(0, shorter).every((segment, index) => segment === other[index]);
  });
}

/**
 * A delivery signed for one source must never verify at another, so no two sources may name the same
 * secret. The runtime checks the resolved values too (two names may hold one value).
 */
function refuseSharedWebhookSecrets(sources: PitcrewConfig['sources'], ctx: z.core.$RefinementCtx): void {
  // Each secret named so far (as secretIdentity spells it), and where: a source's name for its
  // webhook secret, or the setting of a secret every agent of a source holds (the generic agent
  // token). Agents run untrusted builds: such a secret must never sign.
  const named: { identity: string; owner: string }[] = [];
  const heldByAgentsOf = new Map<string, string>();
  for (const module of registeredModules) {
    const settings = sources[module.name];
    for (const entry of settings ? (module.agentHeldSecretEntries?.(settings) ?? []) : []) {
      named.push({ identity: secretIdentity(entry.ref), owner: entry.where });
      heldByAgentsOf.set(entry.where, module.name);
    }
  }
  for (const [source, settings] of Object.entries(sources)) {
    if (typeof settings !== 'object' || settings === null || !('webhookSecret' in settings)) continue;
    const refs = [settings.webhookSecret].flat();
    refs.forEach((ref, index) => {
      const identity = secretIdentity(ref);
      const first = named.find(
        (other) => other.owner !== source && mayBeOneSecret(other.identity, identity),
      )?.owner;
      const heldBy = first === undefined ? undefined : heldByAgentsOf.get(first);
      if (first !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['sources', source, 'webhookSecret', ...(refs.length > 1 ? [index] : [])],
          message:
            heldBy !== undefined
              ? `is also ${first}, which every ${heldBy} agent (an untrusted build) holds: use another secret`
              : `is also the webhook secret of sources.${first}: give each source its own secret`,
        });
      named.push({ identity, owner: source });
    });
  }
}

export type PitcrewConfig = z.infer<typeof configFileSchema>;
export type ClusterConfig = PitcrewConfig['cluster'];
