import { randomBytes } from 'node:crypto';

export interface LocalConfigInput {
  readonly kubeconfig: string;
  readonly namespace: string;
  readonly githubApiUrl: string;
  readonly githubToken: string;
  readonly jenkinsUrl: string;
  readonly jenkinsUser: string;
  readonly jenkinsApiToken: string;
}

/** kwok (infra/local/kube/kwok-stages.yaml) runs each local agent for this long, then ends it Succeeded. */
const kwokRunsFor =
  'metadata:\n  annotations:\n    kwok.pitcrew.dev/outcome: succeeded\n    kwok.pitcrew.dev/run-for: 30s\n';

/** Fresh webhook secrets for one `pitcrew dev` run; printed and written to .pitcrew/dev.json. */
export const newWebhookSecrets = (): Record<'github' | 'jenkins' | 'generic', string> => ({
  github: randomBytes(16).toString('hex'),
  jenkins: randomBytes(16).toString('hex'),
  generic: randomBytes(16).toString('hex'),
});

/**
 * The config `pitcrew dev` runs with: the local cluster, the local GitHub and Jenkins stand-ins, and
 * templates for the GitHub labels self-hosted/linux/x64, the Jenkins label linux and the generic
 * label linux, whose pods kwok completes after 30 s.
 */
export function localConfig(
  input: LocalConfigInput,
  secrets: Record<'github' | 'jenkins' | 'generic', string>,
) {
  return {
    cluster: { namespace: input.namespace, credentials: { kind: 'kubeconfig', path: input.kubeconfig } },
    capacity: { globalCap: 10 },
    sources: {
      github: {
        webhookSecret: { value: secrets.github },
        apiUrl: input.githubApiUrl,
        auth: { token: { value: input.githubToken } },
        // `pitcrew demo` sends for pitcrew/demo (the bench for pitcrew/bench); any other is refused.
        repositories: ['pitcrew/*'],
      },
      jenkins: {
        webhookSecret: { value: secrets.jenkins },
        url: input.jenkinsUrl,
        user: input.jenkinsUser,
        apiToken: { value: input.jenkinsApiToken },
      },
      generic: { webhookSecret: { value: secrets.generic } },
    },
    // Short graces, so a local run shows the reaper at work within a minute.
    reaper: { orphanGraceSeconds: 30, stuckGraceSeconds: 30, lostGraceSeconds: 30, staleQueuedSeconds: 300 },
    templates: [
      {
        name: 'gh-linux',
        source: 'github',
        labels: ['self-hosted', 'linux', 'x64'],
        instanceCap: 5,
        podYaml: kwokRunsFor,
      },
      { name: 'jenkins-linux', source: 'jenkins', labels: ['linux'], instanceCap: 5, podYaml: kwokRunsFor },
      {
        name: 'generic-linux',
        source: 'generic',
        labels: ['linux'],
        image: 'busybox:1.36',
        instanceCap: 5,
        podYaml: kwokRunsFor,
      },
    ],
  };
}

export type LocalConfig = ReturnType<typeof localConfig>;
