/**
 * A node's labelString is whitespace-separated labels; one holding whitespace or a quote is written
 * as a quoted string, which Jenkins' Label.parse (a QuotedStringTokenizer) reads back as one label.
 */
export function formatLabelString(labels: readonly string[]): string {
  return labels.map((label) => (/[\s"'\\]/.test(label) ? JSON.stringify(label) : label)).join(' ');
}
