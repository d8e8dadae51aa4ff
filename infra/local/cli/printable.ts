/**
 * Text from a delivery or a CI, made safe to print on an operator's terminal. A job id, a URL or a
 * reason can carry ESC or CSI (C0 and C1 control characters), whose sequences a terminal obeys: they
 * can rewrite what was printed before, set the window title, or plant a link. Bidirectional and
 * other invisible format characters (U+061C, U+200B-F, U+2028-E, U+2060-9, U+FEFF) can reorder or hide
 * what a line shows (a job key that reads as another). Each is shown as its escape, `\u001b`, so
 * the operator still sees that something was there.
 */

// The invisible format characters that reorder or hide text, and DEL and C1, which JSON leaves as
// they are; with C0 (tab and newline too: a table cell is one line), every character escaped.
const formatAndC1 = '\\u007f-\\u009f\\u061c\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2069\\ufeff';
const controlCharacters = new RegExp(`[\\u0000-\\u001f${formatAndC1}]`, 'g');

const escape = (character: string): string => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;

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
  JSON.stringify(value, null, 2).replace(new RegExp(`[${formatAndC1}]`, 'g'), escape);
