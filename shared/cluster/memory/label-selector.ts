/**
 * Kubernetes label selectors, for the in-memory twin of the agent cluster: equality (`k=v`, `k==v`,
 * `k!=v`), sets (`k in (a,b)`, `k notin (a,b)`) and existence (`k`, `!k`), comma-separated and all
 * required (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors).
 * An empty selector matches every object.
 */
export type LabelRequirement =
  | { readonly key: string; readonly op: 'in' | 'notin'; readonly values: readonly string[] }
  | { readonly key: string; readonly op: 'exists' | 'doesnotexist' };

// https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
const labelKey =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const labelValue = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function key(text: string, selector: string): string {
  const trimmed = text.trim();
  if (!labelKey.test(trimmed) || trimmed.length > 316)
    throw new Error(`invalid label key "${trimmed}" in "${selector}"`);
  return trimmed;
}

function value(text: string, selector: string): string {
  const trimmed = text.trim();
  if (!labelValue.test(trimmed) || trimmed.length > 63)
    throw new Error(`invalid label value "${trimmed}" in "${selector}"`);
  return trimmed;
}

/** Splits at the commas outside parentheses. */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (depth < 0 || depth > 1) throw new Error(`unbalanced parentheses in "${selector}"`);
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  if (depth !== 0) throw new Error(`unbalanced parentheses in "${selector}"`);
  parts.push(current);
  return parts;
}

/** Parses a selector; throws an Error naming what is wrong, as the API server answers 400. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  if (selector.trim() === '') return [];
  return splitRequirements(selector).map((part): LabelRequirement => {
    const text = part.trim();
    const [, setKey = '', setOp, setValues = ''] = /^(.+?)\s+(in|notin)\s*\((.*)\)$/.exec(text) ?? [];
    if (setOp) {
      const values = setValues.split(',').map((entry) => value(entry, selector));
      return { key: key(setKey, selector), op: setOp === 'notin' ? 'notin' : 'in', values };
    }
    const [, equalKey = '', equalOp, equalValue = ''] = /^([^!=]+?)\s*(==|=|!=)\s*([^=!]*)$/.exec(text) ?? [];
    if (equalOp) {
      const values = [value(equalValue, selector)];
      return { key: key(equalKey, selector), op: equalOp === '!=' ? 'notin' : 'in', values };
    }
    if (text.startsWith('!')) return { key: key(text.slice(1), selector), op: 'doesnotexist' };
    return { key: key(text, selector), op: 'exists' };
  });
}

export function matchesLabelSelector(
  requirements: readonly LabelRequirement[],
  labels: Readonly<Record<string, string>>,
): boolean {
  return requirements.every((requirement) => {
    const current = Object.hasOwn(labels, requirement.key) ? labels[requirement.key] : undefined;
    const has = current !== undefined;
    switch (requirement.op) {
      case 'exists':
        return has;
      case 'doesnotexist':
        return !has;
      case 'in':
        return current !== undefined && requirement.values.includes(current);
      case 'notin':
        return current === undefined || !requirement.values.includes(current);
    }
  });
}
