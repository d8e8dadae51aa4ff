/**
 * Text from a delivery or a CI, made safe to print on an operator's terminal. A job id, a URL or a
 * reason can carry ESC or CSI (C0 and C1 control characters), whose sequences a terminal obeys: they
 * can rewrite what was printed before, set the window title, or plant a link. Invisible format
 * characters (Unicode's Cf: bidirectional marks, zero-width and soft hyphens, tag characters) and the
 * line and paragraph separators can reorder or hide what a line shows (a job key that reads as
 * another). Each is shown as its escape, `\u001b`, so the operator still sees that something was there.
 */

// DEL, C1, the format characters and the separators, which JSON leaves as they are; by Unicode's
// categories rather than a list, so that none is missed (U+00AD and the tag characters were, bug 87).
const formatAndC1 = '\\u007f-\\u009f\\p{Cf}\\p{Zl}\\p{Zp}';
// With C0 (tab and newline too: a table cell is one line), every character escaped.
const controlCharacters = new RegExp(`[\\u0000-\\u001f${formatAndC1}]`, 'gu');

/** `\uXXXX` for each UTF-16 unit: a pair for a character past U+FFFF, as JSON writes one. */
const escape = (character: string): string =>
  Array.from({ length: character.length }, (_, unit) => character.charCodeAt(unit))
    .map((code) => `\\u${code.toString(16).padStart(4, '0')}`)
    .join('');

export const printable = (text: string): string => text.replace(controlCharacters, escape);

/** The same value with every string in it, keys too, made printable: what `render` prints from. */
export function printableValue<T>(value: T): T {
  if (typeof value === 'string') return printable(value) as T;
  if (Array.isArray(value)) return value.map(printableValue) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([key, entry]) => [printable(key), printableValue(entry)]),
    ) as T;
  return value;
}

/**
 * `--json`: JSON.stringify escapes C0 in strings but writes DEL, C1 and the format characters as
 * they are; these are escaped too, which any JSON reader reads back as the same characters.
 */
export const printableJson = (value: unknown): string =>
  JSON.stringify(value, null, 2).replace(new RegExp(`[${formatAndC1}]`, 'gu'), escape);
