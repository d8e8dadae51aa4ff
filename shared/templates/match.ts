import type { AgentTemplate } from '../config/file-schema';
import type { CiSource } from '../sources/names';
import type { LabelRule } from '../sources/types';

export type TemplateMatch =
  | { readonly kind: 'match'; readonly template: AgentTemplate }
  | { readonly kind: 'none'; readonly reason: string };

const normalise = (labels: readonly string[]): Set<string> =>
  new Set(labels.map((label) => label.trim().toLowerCase()));

/**
 * Whether a template serves a build. `subset`: it offers every label the build asks for (compared
 * case-insensitively) or, for a build with a rule, its labels satisfy the rule; `exact`: the same set,
 * and the rule too.
 */
function serves(template: AgentTemplate, wanted: Set<string>, rule: LabelRule | undefined): boolean {
  const offered = normalise(template.labels);
  const allOffered = [...wanted].every((label) => offered.has(label));
  const satisfied = rule?.satisfiedBy(template.labels);
  if (template.match === 'exact') return allOffered && offered.size === wanted.size && satisfied !== false;
  return satisfied ?? allOffered;
}

/**
 * Picks the template for a build from its source and labels: `subset` templates serve any build
 * whose labels they all offer, `exact` ones only the same set; the highest priority wins, then the
 * first in the config. A build with no labels is never ours: it can run on any agent the CI already
 * has. With a `rule` (BuildEvent.labelRule: a Jenkins label expression), a template serves the build
 * when its own labels satisfy the rule, as the Jenkins Kubernetes plugin picks a pod template
 * (`label.matches(template labels)`): the agent carries the template's labels, and Jenkins hands the
 * build only to an agent whose labels satisfy its expression, compared exactly.
 */
export function matchTemplate(
  templates: readonly AgentTemplate[],
  source: CiSource,
  labels: readonly string[],
  rule?: LabelRule,
): TemplateMatch {
  const wanted = normalise(labels);
  if (wanted.size === 0) return { kind: 'none', reason: 'the build asks for no labels' };
  let best: AgentTemplate | undefined;
  for (const template of templates) {
    if (template.source !== source || !serves(template, wanted, rule)) continue;
    if (!best || template.priority > best.priority) best = template;
  }
  if (best) return { kind: 'match', template: best };
  return {
    kind: 'none',
    reason: `no ${source} template serves ${rule ? rule.text : `the labels [${[...wanted].join(', ')}]`}`,
  };
}
