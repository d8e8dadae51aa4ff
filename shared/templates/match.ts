import type { AgentTemplate } from '../config/file-schema';
import type { CiSource } from '../sources/names';
import type { LabelRule } from '../sources/types';

export type TemplateMatch =
  | { readonly kind: 'match'; readonly template: AgentTemplate }
  | { readonly kind: 'none'; readonly reason: string };

const normalise = (labels: readonly string[]): Set<string> =>
  new Set(labels.map((label) => label.trim().toLowerCase()));

function serves(template: AgentTemplate, wanted: Set<string>): boolean {
  const offered = normalise(template.labels);
  const allOffered = [...wanted].every((label) => offered.has(label));
  return template.match === 'exact' ? allOffered && offered.size === wanted.size : allOffered;
}

/**
 * Picks the template for a build from its source and labels, as the Jenkins Kubernetes plugin picks
 * a pod template: labels compare case-insensitively; `subset` templates serve any build whose labels
 * they all offer, `exact` ones only the same set; the highest priority wins, then the first in the
 * config. A build with no labels is never ours: it can run on any agent the CI already has. With a
 * `rule` (BuildEvent.labelRule), a template must also satisfy it: the agent carries the template's
 * labels, and a build whose CI would not hand it to that agent must get none.
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
  let refusedByRule = false;
  for (const template of templates) {
    if (template.source !== source || !serves(template, wanted)) continue;
    if (rule && !rule.satisfiedBy(template.labels)) {
      refusedByRule = true;
      continue;
    }
    if (!best || template.priority > best.priority) best = template;
  }
  if (best) return { kind: 'match', template: best };
  const asked = `the labels [${[...wanted].join(', ')}]`;
  return {
    kind: 'none',
    reason:
      rule && refusedByRule
        ? `no ${source} template serves ${asked} and ${rule.text}`
        : `no ${source} template serves ${asked}`,
  };
}
