/**
 * Reading an agent's secret from `GET /computer/NAME/jenkins-agent.jnlp`, the way the inbound-agent
 * docs do (https://github.com/jenkinsci/docker-inbound-agent). The file is rendered by core's
 * hudson/slaves/SlaveComputer/slave-agent.jnlp.jelly:
 *
 *   <application-desc main-class="hudson.remoting.jnlp.Main">
 *     <argument>SECRET</argument> <argument>NAME</argument> <argument>-webSocket</argument> ...
 *
 * so the secret is the first argument and the agent's name the second.
 */
export type JnlpSecret =
  { readonly ok: true; readonly secret: string } | { readonly ok: false; readonly problem: string };

const entities: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X'))
      return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return entities[entity.toLowerCase()] ?? whole;
  });
}

/** The <argument> values of <application-desc>, decoded, or undefined when the file has none. */
export function jnlpArguments(xml: string): string[] | undefined {
  const description = /<application-desc\b[^>]*>([\s\S]*?)<\/application-desc>/.exec(xml)?.[1];
  if (description === undefined) return undefined;
  return [...description.matchAll(/<argument>([\s\S]*?)<\/argument>/g)].map((match) =>
    decodeXml(match[1] ?? '').trim(),
  );
}

/** The mac Jenkins derives per agent (SlaveComputer.getJnlpMac) is hex: 64 digits today. */
const secretPattern = /^[0-9a-f]{32,128}$/i;

/** The agent's secret, after checking the file is about `agentName`. Problems never quote the file. */
export function secretFromJnlp(xml: string, agentName: string): JnlpSecret {
  const args = jnlpArguments(xml);
  if (args === undefined)
    return { ok: false, problem: 'the answer is not a JNLP file with <application-desc>' };
  const [secret, name] = args;
  if (name !== agentName) return { ok: false, problem: 'the JNLP file is for another agent' };
  if (secret === undefined || !secretPattern.test(secret))
    return { ok: false, problem: 'the JNLP file holds no agent secret' };
  return { ok: true, secret };
}
