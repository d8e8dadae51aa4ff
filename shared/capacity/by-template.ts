/**
 * A template's entry in a table keyed by template name (caps, counters), if it has one. Own keys
 * only: template names are DNS labels, and `constructor` is one, which a plain lookup finds on every
 * object (a cap or a count that is a function compares as NaN, and a cap would never be reached).
 */
export const byTemplate = <T>(table: Readonly<Record<string, T>>, template: string): T | undefined =>
  Object.hasOwn(table, template) ? table[template] : undefined;
