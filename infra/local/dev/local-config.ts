import { randomBytes } from 'node:crypto';
import type { LocalCi, RunningLocalCi } from '../stand-ins/local-ci';

export interface LocalConfigInput {
  readonly kubeconfig: string;
  readonly namespace: string;
  /** Every CI's kit with its running stand-in (infra/local/stand-ins/local-cis.ts). */
  readonly cis: readonly { readonly kit: LocalCi; readonly running: RunningLocalCi }[];
}

/** kwok (infra/local/kube/kwok-stages.yaml) runs each local agent for this long, then ends it Succeeded. */
const kwokRunsFor =
  'metadata:\n  annotations:\n    kwok.pitcrew.dev/outcome: succeeded\n    kwok.pitcrew.dev/run-for: 30s\n';

/** Fresh webhook secrets for one `pitcrew dev` run, by CI; printed and written to .pitcrew/dev.json. */
export const newWebhookSecrets = (cis: readonly { readonly name: string }[]): Record<string, string> =>
  Object.fromEntries(cis.map(({ name }) => [name, randomBytes(16).toString('hex')]));

/** The template of a CI in `pitcrew dev`: `<ci>-linux`, for its kit's labels. */
export const devTemplateName = (ci: string): string => `${ci}-linux`;

/**
 * The config `pitcrew dev` runs with: the local cluster, each CI's section pointing at its local
 * stand-in, and one template per CI for its kit's labels, whose pods kwok completes after 30 s.
 */
export function localConfig(input: LocalConfigInput, secrets: Readonly<Record<string, string>>) {
  return {
    cluster: { namespace: input.namespace, credentials: { kind: 'kubeconfig', path: input.kubeconfig } },
    capacity: { globalCap: 10 },
    sources: Object.fromEntries(
      input.cis.map(({ kit, running }) => [kit.name, running.configSection(secrets[kit.name] ?? '')]),
    ) as Record<string, Record<string, unknown>>,
    // Short graces, so a local run shows the reaper at work within a minute.
    reaper: { orphanGraceSeconds: 30, stuckGraceSeconds: 30, lostGraceSeconds: 30, staleQueuedSeconds: 300 },
    templates: input.cis.map(({ kit }) => ({
      name: devTemplateName(kit.name),
      source: kit.name,
      labels: [...kit.labels],
      instanceCap: 5,
      podYaml: kwokRunsFor,
      ...kit.template,
    })) as Record<string, unknown>[],
  };
}

export type LocalConfig = ReturnType<typeof localConfig>;
