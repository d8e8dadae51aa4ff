/**
 * Reading the label out of a queue item's "why" text: the `why` of `GET /queue/api/json`, the
 * `reasonForWaiting` of the CloudEvents plugin, the "Still waiting to schedule task" lines of a
 * Pipeline log. Jenkins has no structured field for it; the texts come from CauseOfBlockage
 * (https://javadoc.jenkins.io/hudson/model/queue/CauseOfBlockage.html) and core's
 * hudson/model/Messages.properties:
 *
 *   Queue.WaitingForNextAvailableExecutorOn  Waiting for next available executor on ‘{0}’
 *   Queue.LabelHasNoNodes                    There are no nodes with the label ‘{0}’
 *   Queue.AllNodesOffline                    All nodes of label ‘{0}’ are offline
 *   Node.LabelMissing                        {0} doesn’t have label ‘{1}’
 *   Queue.NodeOffline                        ‘{0}’ is offline
 *
 * When exactly one node has the label, Jenkins names that node instead (BecauseNodeIsOffline,
 * BecauseNodeIsBusy: `‘pc-linux-…’ is offline`, `Waiting for next available executor on ‘pc-linux-…’`).
 * A node's name is one of its labels in Jenkins, so the name is read as the label; webhook.ts also
 * lets the template that made such a node serve the build.
 *
 * Older releases print {0} without quotes, translations and copy-pasted texts use ' or ", and {0} is a
 * label expression (`linux&&docker`) when the build asks for one. Several causes are joined with "; ".
 */
const labelPatterns: readonly {
  readonly pattern: RegExp;
  readonly suffix?: RegExp;
  /** The text Jenkins also gives with the one node's name (BecauseNodeIsBusy) for its label. */
  readonly mayNameNode?: true;
}[] = [
  { pattern: /^Waiting for next available executor on\s+(.+)$/i, mayNameNode: true },
  { pattern: /^There are no nodes with the label\s+(.+)$/i },
  // Not `\s+(.+?)\s+are offline`: a lazy group between two `\s+` backtracks over every run of spaces,
  // seconds for a few thousand of them. The suffix is a fixed text, matched once at the end.
  { pattern: /^All nodes of label\s+(.+)$/i, suffix: /\sare offline\.?$/i },
  { pattern: /\bdoesn(?:’|'|`)?t have label\s+(.+)$/i },
];

/** Queue.NodeOffline: the node's name, quoted (or not, before 2.x); one atom, so no backtracking. */
const nodeOfflinePattern = /^(\S+)\s+is offline\.?$/i;

/** Opening quote → the closing quote Jenkins (or a translation) pairs with it. */
const closingQuote: Readonly<Record<string, string>> = { '‘': '’', '“': '”', "'": "'", '"': '"', '`': '`' };

const anyQuote = /^[‘’“”'"`]|[‘’“”'"`]$/g;

/**
 * `‘linux&&docker’` → `linux&&docker`. Text after the closing quote is dropped; mismatched quotes
 * (‘linux') are stripped one each side; an unquoted remainder loses a trailing full stop only.
 */
function unquote(raw: string): string {
  const text = raw.trim().replace(/\.$/, '');
  const closer = closingQuote[text.charAt(0)];
  const end = closer === undefined ? -1 : text.lastIndexOf(closer);
  if (end > 0) return text.slice(1, end).trim();
  return text.replace(anyQuote, '').trim();
}

/**
 * The longest cause of blockage read: a sentence and a label expression (at most 500 characters in a
 * contract delivery). Longer ones are skipped unread, as are causes past the first `maxWhySegments`:
 * a why text has no length limit of its own, and whoever writes a build's label writes part of it.
 */
export const maxWhySegment = 1000;
export const maxWhySegments = 32;

/** The label (or label expression) the text says the build waits for, or undefined when it names none. */
export function labelFromWhy(why: string): string | undefined {
  return readWhy(why)?.label;
}

/**
 * What a why text says the build waits for: `label`, and whether the text is one Jenkins gives with
 * the name of the one node that has the build's label (`mayNameNode`: BecauseNodeIsOffline,
 * BecauseNodeIsBusy). "There are no nodes with the label ‘X’" and "All nodes of label ‘X’ are
 * offline" never name such a node: X is what the build asks for.
 */
export function readWhy(why: string): { readonly label: string; readonly mayNameNode: boolean } | undefined {
  // A cause that names a label wins over one that names an offline node (a composite cause lists
  // every node it tried).
  let offlineNode: string | undefined;
  for (const segment of why.split(/\r?\n|;\s+/, maxWhySegments)) {
    if (segment.length > maxWhySegment) continue;
    for (const { pattern, suffix, mayNameNode } of labelPatterns) {
      const captured = pattern.exec(segment.trim())?.[1];
      const text =
        captured === undefined || suffix === undefined ? captured : withoutSuffix(captured, suffix);
      const label = text === undefined ? '' : unquote(text);
      if (label !== '') return { label, mayNameNode: mayNameNode ?? false };
    }
    const node = nodeOfflinePattern.exec(segment.trim())?.[1];
    if (node !== undefined && offlineNode === undefined && unquote(node) !== '') offlineNode = unquote(node);
  }
  return offlineNode === undefined ? undefined : { label: offlineNode, mayNameNode: true };
}

/** The text before `suffix`, or undefined when it does not end with it. */
function withoutSuffix(text: string, suffix: RegExp): string | undefined {
  const match = suffix.exec(text);
  return match === null ? undefined : text.slice(0, match.index);
}
