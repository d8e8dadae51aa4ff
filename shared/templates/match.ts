import type { AgentTemplate } from '../config/file-schema';
import type { BuildEvent, LabelRule } from '../sources/types';
import { servesOrigin } from './serves-origin';

/** What a template is picked by: a build's source, labels, label rule and origin, as its event has them. */
export type BuildToMatch = Pick<BuildEvent, 'source' | 'labels' | 'labelRule' | 'origin'>;

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
  if (rule?.madeBy?.(template.name)) return true;
  const offered = normalise(template.labels);
  const allOffered = [...wanted].every((label) => offered.has(label));
  const satisfied = rule?.satisfiedBy(template.labels);
  if (template.match === 'exact') return allOffered && offered.size === wanted.size && satisfied !== false;
  return satisfied ?? allOffered;
}

/**
 * Picks the template for a build from its source, labels and origin: `subset` templates serve any
 * build whose labels they all offer, `exact` ones only the same set, and a template with `from` only
 * builds from there; the highest priority wins, then the first in the config. A build with no labels
 * is never ours: it can run on any agent the CI already has. With a `labelRule` (a Jenkins label
 * expression), a template serves the build when its own labels satisfy the rule, as the Jenkins
 * Kubernetes plugin picks a pod template (`label.matches(template labels)`): the agent carries the
 * template's labels, and Jenkins hands the build only to an agent whose labels satisfy its
 * expression, compared exactly. Takes the build whole (a BuildEvent will do), so no caller can leave
 * out its rule or its origin.
 */
export function matchTemplate(templates: readonly AgentTemplate[], build: BuildToMatch): TemplateMatch {
  const { source, labelRule: rule, origin } = build;
  const wanted = normalise(build.labels);
  if (wanted.size === 0) return { kind: 'none', reason: 'the build asks for no labels' };
  let best: AgentTemplate | undefined;
  let keptOut = false;
  for (const template of templates) {
    if (template.source !== source || !serves(template, wanted, rule)) continue;
    if (!servesOrigin(template, origin)) keptOut = true;
    else if (!best || template.priority > best.priority) best = template;
  }
  if (best) return { kind: 'match', template: best };
  const asked = rule ? rule.text : `the labels [${[...wanted].join(', ')}]`;
  return {
    kind: 'none',
    reason: keptOut
      ? `no ${source} template serves ${asked} from ${origin?.name ?? 'a build that names no origin'} (a template's from leaves it out)`
      : `no ${source} template serves ${asked}`,
  };
}
