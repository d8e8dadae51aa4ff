import { readdirSync, readFileSync } from 'node:fs';
import { parseYamlText } from '../../../shared/config/yaml-text';
import { configProblemsOf } from '../../support/config-problems';

/**
 * The docs' own YAML, as a reader copies it: every ```yaml block parses, and every block that is a
 * config (a `sources:` or `cluster:` section) loads once completed with what it leaves out. (An
 * unquoted `{ ssm: /pitcrew/{stage}/x }` is not YAML: inside `{ }`, `{stage}` opens a mapping.)
 */
const blocks = readdirSync('docs')
  .filter((file) => file.endsWith('.md'))
  .flatMap((file) =>
    [...readFileSync(`docs/${file}`, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map(
      (match, index) => [`docs/${file} yaml block ${index + 1}`, match[1]!] as const,
    ),
  );
const cluster = 'cluster:\n  credentials: { kind: eks, clusterName: ci-agents }\n';
const generic = `sources:
  generic: { webhookSecret: { ssm: /pitcrew/generic/webhook } }
templates:
  - { name: gen, source: generic, labels: [linux], image: busybox:1.36 }
`;

describe("the docs' YAML snippets", () => {
  it.each(blocks)('%s is valid YAML', (_where, text) => {
    expect(() => parseYamlText(text)).not.toThrow();
  });

  it.each(blocks.filter(([, text]) => /^(sources|cluster):/m.test(text)))(
    '%s loads as a config (completed with a cluster or a source)',
    (_where, text) => {
      const completed = /^cluster:/m.test(text)
        ? `${text}${/^sources:/m.test(text) ? '' : generic}`
        : `${cluster}${text}`;
      expect(configProblemsOf(completed)).toEqual([]);
    },
  );

  // docs/configuration.md, "Secret references": the SSM form as the table writes it.
  it('the secret reference forms of docs/configuration.md load as written', () => {
    const table = readFileSync('docs/configuration.md', 'utf8')
      .split('### Secret references')[1]!
      .split('###')[0]!;
    const forms = [...table.matchAll(/^\| `(\{[^`]*\})`/gm)].map((match) => match[1]!);
    expect(forms.length).toBeGreaterThanOrEqual(5);
    const problems = forms.flatMap((form) =>
      configProblemsOf(
        `${cluster}sources:\n  generic: { webhookSecret: ${form} }\ntemplates:\n  - { name: gen, source: generic, labels: [linux], image: busybox:1.36 }\n`,
      ).map((problem) => `${form}: ${problem}`),
    );
    expect(problems).toEqual([]);
  });
});
