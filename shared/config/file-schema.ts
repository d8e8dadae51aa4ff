import * as z from '../schema/zod';
import { repositoryMatches } from '../sources/github/repository-pattern';
import { ciSources } from '../sources/names';

/**
 * The Pitcrew config file (YAML). Reference with every default: docs/configuration.md.
 * Parsed once at cold start; errors name the key (`templates.1.image: ...`).
 */

const nonEmpty = z.string().check(z.minLength(1));
const positiveInt = z.int().check(z.positive());
const nonNegativeInt = z.int().check(z.nonnegative());

const dnsLabel = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(63),
    z.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label: lower-case letters, digits and -'),
  );
const envName = z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'));
const quantity = z.union([
  z.string().check(z.regex(/^[0-9.]+[a-zA-Z]*$/, 'must be a Kubernetes quantity such as 500m or 1Gi')),
  z.number(),
]);

/** `{stage}` in an SSM or Secrets Manager name stands for the deployed stage (docs/configuration.md). */
export const stagePlaceholder = '{stage}';
const awsArn = /^arn:aws[a-z-]*:/;
const ssmParameterName = z.string().check(
  z.maxLength(2048),
  z.refine(
    (name) => awsArn.test(name) || /^[A-Za-z0-9_.\-/]+$/.test(name.replaceAll(stagePlaceholder, 'stage')),
    'must be an SSM parameter name (letters, digits, _ . - /) or ARN',
  ),
);
const secretsManagerId = z.string().check(
  z.maxLength(2048),
  z.refine(
    (id) => awsArn.test(id) || /^[A-Za-z0-9/_+=.@-]+$/.test(id.replaceAll(stagePlaceholder, 'stage')),
    'must be a Secrets Manager secret name (letters, digits, / _ + = . @ -) or ARN',
  ),
);

/**
 * Where a secret comes from. Values are never in the config file itself except for local `value`.
 * On AWS: an SSM parameter (SecureString or String) or a Secrets Manager secret, whose `key` picks one
 * field of a JSON secret. The build grants each function read on exactly these (scripts/build.ts).
 */
export const secretRefSchema = z.union([
  z.strictObject({ env: envName }),
  z.strictObject({ file: nonEmpty }),
  z.strictObject({ value: nonEmpty }),
  z.strictObject({ ssm: ssmParameterName }),
  z.strictObject({ secretsManager: secretsManagerId, key: z.optional(nonEmpty) }),
]);
export type SecretRef = z.infer<typeof secretRefSchema>;

const resourceList = z.strictObject({
  cpu: z.optional(quantity),
  memory: z.optional(quantity),
  'ephemeral-storage': z.optional(quantity),
});
const resourcesSchema = z.strictObject({
  requests: z.optional(resourceList),
  limits: z.optional(resourceList),
});

/** An IPv4 or IPv6 CIDR, as a NetworkPolicy ipBlock takes it. */
const cidr = z.union([z.cidrv4(), z.cidrv6()], 'must be a CIDR such as 10.0.0.0/16 or fd00::/8');

/**
 * The metadata and credential endpoints an agent must never reach, whatever the config says: EC2's
 * IMDS (IPv4 and IPv6), the ECS task metadata and credentials endpoint, and the EKS Pod Identity
 * agent (IPv4 and IPv6). An agent that reaches them can take the node's or another pod's role.
 */
export const metadataCidrs = [
  '169.254.169.254/32',
  '169.254.170.2/32',
  '169.254.170.23/32',
  'fd00:ec2::254/128',
  'fd00:ec2::23/128',
] as const;

/** What agents may reach over the network (docs/security.md, "The agent's boundary"). */
const networkSchema = z.strictObject({
  /** Never reachable from an agent, beside the metadata endpoints, which are always denied. */
  deniedEgressCidrs: z._default(z.array(cidr), [...metadataCidrs]),
  /** The API server's addresses (an EKS endpoint's private IPs, a cluster's service CIDR host). */
  apiServerCidrs: z._default(z.array(cidr), []),
});

const clusterCredentialsSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('kubeconfig'), path: nonEmpty, context: z.optional(z.string()) }),
  z.strictObject({
    kind: z.literal('token'),
    server: z.url(),
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
    server: z.optional(z.url()),
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
    network: z._default(networkSchema, { deniedEgressCidrs: [...metadataCidrs], apiServerCidrs: [] }),
    credentials: clusterCredentialsSchema,
    connectTimeoutMs: z._default(positiveInt, 5000),
    requestTimeoutMs: z._default(positiveInt, 15000),
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

/** How long a secret read from SSM or Secrets Manager is reused before it is read again. */
const secretsSchema = z.strictObject({ maxAgeSeconds: z._default(nonNegativeInt, 300) });

/**
 * A webhook secret, or a list of them while one is rotated: a delivery signed with any entry verifies
 * (docs/security.md, "Rotating a webhook secret").
 */
const webhookSecretsSchema = z.union([
  secretRefSchema,
  z.array(secretRefSchema).check(z.minLength(1), z.maxLength(5)),
]);

/** How many of a source's builds may wait (queued or waiting) before its webhook answers 429. */
const maxBacklog = z._default(positiveInt, 500);

/** How far a Pitcrew-signed delivery's X-Pitcrew-Timestamp may be from now, either way. */
const signatureToleranceSeconds = z._default(z.int().check(z.minimum(30), z.maximum(3600)), 300);

/** `owner/repo` or `owner/*`; GitHub's names are letters, digits and . _ - */
const repositoryPattern = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9._-]{1,100}\/([A-Za-z0-9._-]{1,100}|\*)$/,
      'must be owner/repo or owner/* (letters, digits, . _ -)',
    ),
  );

const githubSchema = z
  .strictObject({
    webhookSecret: webhookSecretsSchema,
    apiUrl: z._default(z.url(), 'https://api.github.com'),
    auth: z.union([
      z.strictObject({ token: secretRefSchema }),
      z.strictObject({
        app: z.strictObject({
          appId: nonEmpty,
          privateKey: secretRefSchema,
          installationId: z.optional(positiveInt),
        }),
      }),
    ]),
    /**
     * The repositories whose jobs may get an agent. Required: Pitcrew cannot know which repositories
     * the token or App can see, so it never guesses (docs/security.md).
     */
    repositories: z.array(repositoryPattern).check(z.minLength(1, 'list at least one owner/repo or owner/*')),
    /** On a public repository anyone's pull request can run on the agent (docs/security.md). */
    allowPublicRepositories: z._default(z.boolean(), false),
    /**
     * A queued job created longer ago than this is a replay or long stale: ignored. At most 7 days,
     * well inside the 14 days an ended request is kept, so a replay always finds its build's record.
     */
    maxJobAgeHours: z._default(positiveInt.check(z.maximum(168)), 24),
    maxBacklog,
    runnerScope: z._default(z.enum(['repo', 'org']), 'repo'),
    runnerGroupId: z._default(positiveInt, 1),
    /** The reaper polls these repositories ("owner/repo") for queued jobs whose webhook was lost. */
    pollRepositories: z._default(
      z.array(z.string().check(z.regex(/^[^/\s]+\/[^/\s]+$/, 'must be owner/repo'))),
      [],
    ),
  })
  .check(
    z.superRefine((github, ctx) => {
      github.pollRepositories.forEach((entry, index) => {
        if (!github.repositories.some((pattern) => repositoryMatches(pattern, entry)))
          ctx.addIssue({
            code: 'custom',
            path: ['pollRepositories', index],
            message: `'${entry}' is not among sources.github.repositories`,
          });
      });
    }),
  );

const jenkinsSchema = z.strictObject({
  webhookSecret: webhookSecretsSchema,
  signatureToleranceSeconds,
  maxBacklog,
  url: z.url(),
  user: nonEmpty,
  apiToken: secretRefSchema,
  tunnel: z.optional(z.string().check(z.regex(/^[^:\s]*:\d+$/, 'must be HOST:PORT'))),
  /** The reaper polls the Jenkins queue for builds whose webhook was lost. */
  pollQueue: z._default(z.boolean(), false),
});

const genericSchema = z.strictObject({
  webhookSecret: webhookSecretsSchema,
  signatureToleranceSeconds,
  maxBacklog,
  agentToken: z.optional(secretRefSchema),
});

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
  image: z.optional(nonEmpty),
  command: z.optional(z.array(z.string())),
  args: z.optional(z.array(z.string())),
  env: z._default(z.record(envName, z.string()), {}),
  resources: z.optional(resourcesSchema),
  nodeSelector: z.optional(z.record(z.string(), z.string())),
  tolerations: z.optional(z.array(z.record(z.string(), z.unknown()))),
  /** Mounts that ServiceAccount's token; without it, no token is mounted. Never the provisioner's. */
  serviceAccount: z.optional(dnsLabel),
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
  pendingTimeoutSeconds: z._default(positiveInt, 300),
  idleMinutes: z._default(nonNegativeInt, 10),
  maxLifetimeSeconds: z._default(positiveInt, 4 * 3600),
  retention: z._default(retentionSchema, { policy: 'never', minutes: 0 }),
  retries: z._default(nonNegativeInt, 1),
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
    sources: z.strictObject({
      github: z.optional(githubSchema),
      jenkins: z.optional(jenkinsSchema),
      generic: z.optional(genericSchema),
    }),
    defaults: z._default(
      z.strictObject({
        resources: z._default(resourcesSchema, {
          requests: { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '1Gi' },
          limits: { memory: '2Gi', 'ephemeral-storage': '10Gi' },
        }),
        runAsUser: z._default(positiveInt, 1000),
      }),
      {
        resources: {
          requests: { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '1Gi' },
          limits: { memory: '2Gi', 'ephemeral-storage': '10Gi' },
        },
        runAsUser: 1000,
      },
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
        if (template.source === 'generic' && !template.image) {
          ctx.addIssue({
            code: 'custom',
            path: ['templates', index, 'image'],
            message: 'is required for generic templates',
          });
        }
      });
      refuseSharedWebhookSecrets(config.sources, ctx);
    }),
  );

/**
 * A delivery signed for one source must never verify at another, so no two sources may name the same
 * secret. The runtime checks the resolved values too (two names may hold one value).
 */
const agentTokenOwner = 'generic.agentToken';

function refuseSharedWebhookSecrets(sources: PitcrewConfig['sources'], ctx: z.core.$RefinementCtx): void {
  const owner = new Map<string, string>();
  // Every generic agent holds the agent token, and agents run untrusted builds: it must never sign.
  if (sources.generic?.agentToken) owner.set(JSON.stringify(sources.generic.agentToken), agentTokenOwner);
  for (const [source, settings] of Object.entries(sources)) {
    if (typeof settings !== 'object' || settings === null || !('webhookSecret' in settings)) continue;
    const refs = [settings.webhookSecret].flat();
    refs.forEach((ref, index) => {
      const key = JSON.stringify(ref);
      const first = owner.get(key);
      if (first !== undefined && first !== source)
        ctx.addIssue({
          code: 'custom',
          path: ['sources', source, 'webhookSecret', ...(refs.length > 1 ? [index] : [])],
          message:
            first === agentTokenOwner
              ? 'is also sources.generic.agentToken, which every generic agent (an untrusted build) holds: use another secret'
              : `is also the webhook secret of sources.${first}: give each source its own secret`,
        });
      owner.set(key, source);
    });
  }
}

export type PitcrewConfig = z.infer<typeof configFileSchema>;
export type ClusterConfig = PitcrewConfig['cluster'];
