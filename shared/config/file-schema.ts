import { z } from 'zod';
import { repositoryMatches } from '../sources/github/repository-pattern';
import { ciSources } from '../sources/names';

/**
 * The Pitcrew config file (YAML). Reference with every default: docs/configuration.md.
 * Parsed once at cold start; errors name the key (`templates.1.image: ...`).
 */

const dnsLabel = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label: lower-case letters, digits and -');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');
const quantity = z.union([
  z.string().regex(/^[0-9.]+[a-zA-Z]*$/, 'must be a Kubernetes quantity such as 500m or 1Gi'),
  z.number(),
]);

/** `{stage}` in an SSM or Secrets Manager name stands for the deployed stage (docs/configuration.md). */
export const stagePlaceholder = '{stage}';
const awsArn = /^arn:aws[a-z-]*:/;
const ssmParameterName = z
  .string()
  .max(2048)
  .refine(
    (name) => awsArn.test(name) || /^[A-Za-z0-9_.\-/]+$/.test(name.replaceAll(stagePlaceholder, 'stage')),
    'must be an SSM parameter name (letters, digits, _ . - /) or ARN',
  );
const secretsManagerId = z
  .string()
  .max(2048)
  .refine(
    (id) => awsArn.test(id) || /^[A-Za-z0-9/_+=.@-]+$/.test(id.replaceAll(stagePlaceholder, 'stage')),
    'must be a Secrets Manager secret name (letters, digits, / _ + = . @ -) or ARN',
  );

/**
 * Where a secret comes from. Values are never in the config file itself except for local `value`.
 * On AWS: an SSM parameter (SecureString or String) or a Secrets Manager secret, whose `key` picks one
 * field of a JSON secret. The build grants each function read on exactly these (scripts/build.ts).
 */
export const secretRefSchema = z.union([
  z.object({ env: envName }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
  z.object({ value: z.string().min(1) }).strict(),
  z.object({ ssm: ssmParameterName }).strict(),
  z.object({ secretsManager: secretsManagerId, key: z.string().min(1).optional() }).strict(),
]);
export type SecretRef = z.infer<typeof secretRefSchema>;

const resourceList = z
  .object({ cpu: quantity.optional(), memory: quantity.optional(), 'ephemeral-storage': quantity.optional() })
  .strict();
const resourcesSchema = z
  .object({ requests: resourceList.optional(), limits: resourceList.optional() })
  .strict();

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
const networkSchema = z
  .object({
    /** Never reachable from an agent, beside the metadata endpoints, which are always denied. */
    deniedEgressCidrs: z.array(cidr).default([...metadataCidrs]),
    /** The API server's addresses (an EKS endpoint's private IPs, a cluster's service CIDR host). */
    apiServerCidrs: z.array(cidr).default([]),
  })
  .strict();

const clusterCredentialsSchema = z.discriminatedUnion('kind', [
  z
    .object({ kind: z.literal('kubeconfig'), path: z.string().min(1), context: z.string().optional() })
    .strict(),
  z
    .object({
      kind: z.literal('token'),
      server: z.url(),
      /** A ServiceAccount token; read again when the API server answers 401 (it was rotated). */
      token: secretRefSchema,
      /** PEM or base64 PEM of the cluster CA, or a reference to a secret holding it. */
      caData: z.union([z.string().min(1), secretRefSchema]).optional(),
      /** Local clusters only: never verify the server certificate. */
      skipTlsVerify: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      kind: z.literal('eks'),
      /** The token names this cluster (`x-k8s-aws-id`); without `server`, DescribeCluster is asked. */
      clusterName: z
        .string()
        .regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, 'must be an EKS cluster name (letters, digits, - and _)'),
      /** The cluster's region; default: the function's. */
      region: z
        .string()
        .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as eu-west-1')
        .optional(),
      /** The API endpoint and its CA (base64 PEM, as DescribeCluster gives it): saves a call per cold start. */
      server: z.url().optional(),
      caData: z.string().min(1).optional(),
    })
    .strict(),
]);

const clusterSchema = z
  .object({
    namespace: dnsLabel.default('pitcrew-agents'),
    /**
     * The provisioner's own ServiceAccount (infra/k8s): no template may name it, as an agent holding
     * its token could read every agent's credentials and create pods.
     */
    provisionerServiceAccount: z
      .object({
        name: dnsLabel.default('pitcrew-provisioner'),
        namespace: dnsLabel.default('pitcrew-system'),
      })
      .strict()
      .default({ name: 'pitcrew-provisioner', namespace: 'pitcrew-system' }),
    network: networkSchema.default({ deniedEgressCidrs: [...metadataCidrs], apiServerCidrs: [] }),
    credentials: clusterCredentialsSchema,
    connectTimeoutMs: z.number().int().positive().default(5000),
    requestTimeoutMs: z.number().int().positive().default(15000),
  })
  .strict()
  .superRefine((cluster, ctx) => {
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
  });

/** How long a secret read from SSM or Secrets Manager is reused before it is read again. */
const secretsSchema = z.object({ maxAgeSeconds: z.number().int().nonnegative().default(300) }).strict();

/**
 * A webhook secret, or a list of them while one is rotated: a delivery signed with any entry verifies
 * (docs/security.md, "Rotating a webhook secret").
 */
const webhookSecretsSchema = z.union([secretRefSchema, z.array(secretRefSchema).min(1).max(5)]);

/** How many of a source's builds may wait (queued or waiting) before its webhook answers 429. */
const maxBacklog = z.number().int().positive().default(500);

/** How far a Pitcrew-signed delivery's X-Pitcrew-Timestamp may be from now, either way. */
const signatureToleranceSeconds = z.number().int().min(30).max(3600).default(300);

/** `owner/repo` or `owner/*`; GitHub's names are letters, digits and . _ - */
const repositoryPattern = z
  .string()
  .regex(
    /^[A-Za-z0-9._-]{1,100}\/([A-Za-z0-9._-]{1,100}|\*)$/,
    'must be owner/repo or owner/* (letters, digits, . _ -)',
  );

const githubSchema = z
  .object({
    webhookSecret: webhookSecretsSchema,
    apiUrl: z.url().default('https://api.github.com'),
    auth: z.union([
      z.object({ token: secretRefSchema }).strict(),
      z
        .object({
          app: z
            .object({
              appId: z.string().min(1),
              privateKey: secretRefSchema,
              installationId: z.number().int().positive().optional(),
            })
            .strict(),
        })
        .strict(),
    ]),
    /**
     * The repositories whose jobs may get an agent. Required: Pitcrew cannot know which repositories
     * the token or App can see, so it never guesses (docs/security.md).
     */
    repositories: z.array(repositoryPattern).min(1, 'list at least one owner/repo or owner/*'),
    /** On a public repository anyone's pull request can run on the agent (docs/security.md). */
    allowPublicRepositories: z.boolean().default(false),
    /**
     * A queued job created longer ago than this is a replay or long stale: ignored. At most 7 days,
     * well inside the 14 days an ended request is kept, so a replay always finds its build's record.
     */
    maxJobAgeHours: z.number().int().positive().max(168).default(24),
    maxBacklog,
    runnerScope: z.enum(['repo', 'org']).default('repo'),
    runnerGroupId: z.number().int().positive().default(1),
    /** The reaper polls these repositories ("owner/repo") for queued jobs whose webhook was lost. */
    pollRepositories: z.array(z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'must be owner/repo')).default([]),
  })
  .strict()
  .superRefine((github, ctx) => {
    github.pollRepositories.forEach((entry, index) => {
      if (!github.repositories.some((pattern) => repositoryMatches(pattern, entry)))
        ctx.addIssue({
          code: 'custom',
          path: ['pollRepositories', index],
          message: `'${entry}' is not among sources.github.repositories`,
        });
    });
  });

const jenkinsSchema = z
  .object({
    webhookSecret: webhookSecretsSchema,
    signatureToleranceSeconds,
    maxBacklog,
    url: z.url(),
    user: z.string().min(1),
    apiToken: secretRefSchema,
    tunnel: z
      .string()
      .regex(/^[^:\s]*:\d+$/, 'must be HOST:PORT')
      .optional(),
    /** The reaper polls the Jenkins queue for builds whose webhook was lost. */
    pollQueue: z.boolean().default(false),
  })
  .strict();

const genericSchema = z
  .object({
    webhookSecret: webhookSecretsSchema,
    signatureToleranceSeconds,
    maxBacklog,
    agentToken: secretRefSchema.optional(),
  })
  .strict();

const retentionSchema = z
  .object({
    policy: z.enum(['never', 'onFailure', 'always']).default('never'),
    minutes: z.number().int().nonnegative().default(0),
  })
  .strict();

export const templateSchema = z
  .object({
    name: dnsLabel.max(40, 'must be at most 40 characters (pod names add a suffix)'),
    source: z.enum(ciSources),
    labels: z.array(z.string().min(1).max(100)).min(1),
    /** subset: serves a build whose labels are all among the template's; exact: only the same set. */
    match: z.enum(['subset', 'exact']).default('subset'),
    /** Higher wins when several templates match. */
    priority: z.number().int().default(0),
    image: z.string().min(1).optional(),
    command: z.array(z.string()).optional(),
    args: z.array(z.string()).optional(),
    env: z.record(envName, z.string()).default({}),
    resources: resourcesSchema.optional(),
    nodeSelector: z.record(z.string(), z.string()).optional(),
    tolerations: z.array(z.record(z.string(), z.unknown())).optional(),
    /** Mounts that ServiceAccount's token; without it, no token is mounted. Never the provisioner's. */
    serviceAccount: dnsLabel.optional(),
    /**
     * The Pod Security Standard the rendered pod must meet, checked at config load. `baseline` and
     * `privileged` are for Docker-in-Docker and the like, at a risk docs/configuration.md explains.
     */
    podSecurity: z.enum(['restricted', 'baseline', 'privileged']).default('restricted'),
    /** A stricter egress allow-list for this template's agents (CIDRs); default: all but the denied. */
    egressCidrs: z.array(cidr).optional(),
    volumes: z.array(z.record(z.string(), z.unknown())).optional(),
    volumeMounts: z.array(z.record(z.string(), z.unknown())).optional(),
    /** Raw pod YAML merged over the generated pod (rules in docs/configuration.md). */
    podYaml: z.string().optional(),
    instanceCap: z.number().int().nonnegative().default(10),
    pendingTimeoutSeconds: z.number().int().positive().default(300),
    idleMinutes: z.number().int().nonnegative().default(10),
    maxLifetimeSeconds: z
      .number()
      .int()
      .positive()
      .default(4 * 3600),
    retention: retentionSchema.default({ policy: 'never', minutes: 0 }),
    retries: z.number().int().nonnegative().default(1),
  })
  .strict();
export type AgentTemplate = z.infer<typeof templateSchema>;

/** The reaper's own timings; docs/reaper.md explains each. */
export const reaperSchema = z
  .object({
    orphanGraceSeconds: z.number().int().nonnegative().default(120),
    stuckGraceSeconds: z.number().int().nonnegative().default(60),
    lostGraceSeconds: z.number().int().nonnegative().default(60),
    staleQueuedSeconds: z.number().int().nonnegative().default(900),
    /** A request still queued or waiting this long after it was recorded is failed as `expired`. */
    maxWaitHours: z.number().int().min(1).default(24),
  })
  .strict();

export const configFileSchema = z
  .object({
    cluster: clusterSchema,
    capacity: z
      .object({ globalCap: z.number().int().nonnegative().default(20) })
      .strict()
      .default({ globalCap: 20 }),
    sources: z
      .object({
        github: githubSchema.optional(),
        jenkins: jenkinsSchema.optional(),
        generic: genericSchema.optional(),
      })
      .strict(),
    defaults: z
      .object({
        resources: resourcesSchema.default({
          requests: { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '1Gi' },
          limits: { memory: '2Gi', 'ephemeral-storage': '10Gi' },
        }),
        runAsUser: z.number().int().positive().default(1000),
      })
      .strict()
      .default({
        resources: {
          requests: { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '1Gi' },
          limits: { memory: '2Gi', 'ephemeral-storage': '10Gi' },
        },
        runAsUser: 1000,
      }),
    templates: z.array(templateSchema).min(1),
    reaper: reaperSchema.default({
      orphanGraceSeconds: 120,
      stuckGraceSeconds: 60,
      lostGraceSeconds: 60,
      staleQueuedSeconds: 900,
      maxWaitHours: 24,
    }),
    secrets: secretsSchema.default({ maxAgeSeconds: 300 }),
  })
  .strict()
  .superRefine((config, ctx) => {
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
  });

/**
 * A delivery signed for one source must never verify at another, so no two sources may name the same
 * secret. The runtime checks the resolved values too (two names may hold one value).
 */
const agentTokenOwner = 'generic.agentToken';

function refuseSharedWebhookSecrets(sources: PitcrewConfig['sources'], ctx: z.RefinementCtx): void {
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
export type ClusterCredentials = ClusterConfig['credentials'];
export type SourcesConfig = PitcrewConfig['sources'];
