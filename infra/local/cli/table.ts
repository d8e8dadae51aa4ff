import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];

/** Colour only for a person at a terminal (and never when NO_COLOR is set: https://no-color.org). */
export const useColour = (): boolean => Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;

export const paint = (style: Style, text: string): string => (useColour() ? styleText(style, text) : text);

/**
 * Left-aligned columns with a bold header, as kubectl prints them. A dozen lines of our own rather
 * than a table library: the output is plain, and the CLI loads no more than it needs.
 */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return paint('dim', '(none)');
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [paint('bold', line(headers)), ...rows.map(line)].join('\n');
}

/** "3m 20s ago" from an ISO time: how operators read ages. */
export function age(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  if (seconds < 86_400)
    return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(seconds / 86_400)}d`;
}
