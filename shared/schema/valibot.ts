import * as v from 'valibot';

/**
 * The one way the functions get a validator: valibot, worded as zod's English locale words its
 * issues. Import it as `import * as v from '../schema/valibot'`.
 *
 * Why valibot at run time (zod stays for the config file, parsed at packaging and by the CLI): the
 * same schemas cost 38.5 KiB of zod/mini and about 16 ms of a cold start, 12.1 KiB of valibot and
 * about 5 ms (docs/performance.md). zod's cost is fixed the moment any schema is built, so neither
 * building schemas lazily nor compiling them to code at build time removes it.
 *
 * Why the wording is ours: the messages are part of Pitcrew's interface (a webhook's 400 answer
 * quotes one, a bad setting names one), and they read as they did when the functions ran zod. The
 * objects below give a missing key the message its entry gives `undefined`, as zod does; valibot
 * alone would say "Invalid key".
 *
 * Why some of valibot's own schemas are replaced below: where its rules differ from zod's, the
 * functions keep zod's (what they accepted and refused is the interface too): numbers and integers
 * refused as a type, lengths in code points, records that keep `constructor`, URLs by the WHATWG
 * parser, date-times Date can read, errors that name every field. Every schema module imports from
 * here, never from 'valibot' itself, so these and the wording apply to every parse
 * (test/unit/schema/valibot.test.ts holds both libraries to the same answers).
 */
export * from 'valibot';

type Issue = v.BaseIssue<unknown>;

/** zod's name for a value's type: `typeof`, with null, array and NaN told apart. */
function typeName(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  if (typeof input === 'number' && !Number.isFinite(input)) return String(input);
  return typeof input;
}

/** What valibot expects, as zod would name it: `Object` is `object`, `Array` is `array`. */
const expectedName = (expected: string | null): string =>
  expected === null ? 'value' : expected === 'Object' ? 'object' : expected === 'Array' ? 'array' : expected;

/** valibot's list of options, `("a" | "b")`, as the quoted values `"a"` and `"b"`. */
const optionsOf = (expected: string | null): string[] =>
  (expected ?? '')
    .replace(/^\((.*)\)$/, '$1')
    .split('|')
    .map((option) => option.trim());

const sizeOf = (input: unknown): { origin: string; unit: string } =>
  Array.isArray(input) ? { origin: 'array', unit: 'items' } : { origin: 'string', unit: 'characters' };

/**
 * An issue worded as zod's English locale words the same issue: the kinds of issue the schemas
 * below and the valibot actions the functions use can raise (lengths, integers, URLs and dates are
 * this module's own checks, with their messages).
 */
export function zodWording(issue: Issue): string {
  const { type, input, expected } = issue;
  const requirement = issue.requirement as unknown;
  switch (type) {
    case 'min_value':
      return `Too small: expected number to be >=${String(requirement)}`;
    case 'gt_value':
      return `Too small: expected number to be >${String(requirement)}`;
    case 'max_value':
      return `Too big: expected number to be <=${String(requirement)}`;
    case 'finite':
      return `Invalid input: expected number, received ${typeName(input)}`;
    case 'regex':
      return `Invalid string: must match pattern ${String(requirement)}`;
    case 'literal':
      return `Invalid input: expected ${expected ?? 'value'}`;
    case 'picklist': {
      const options = optionsOf(expected);
      return options.length > 1
        ? `Invalid option: expected one of ${options.join('|')}`
        : `Invalid input: expected ${options[0] ?? 'value'}`;
    }
    case 'union':
      return 'Invalid input';
    case 'variant':
      // A bad discriminator (the issue's path ends at it); otherwise the input is not an object.
      return issue.path
        ? `Invalid discriminator value. Expected ${optionsOf(expected)
            .map((option) => `'${option.replace(/^"(.*)"$/, '$1')}'`)
            .join(' | ')}`
        : `Invalid input: expected object, received ${typeName(input)}`;
    default:
      return issue.kind === 'schema'
        ? `Invalid input: expected ${expectedName(expected)}, received ${typeName(input)}`
        : 'Invalid input';
  }
}

v.setGlobalMessage(zodWording);

/** Whether an object's issue is a key it does not allow (a strict object's), not one of a value. */
const isUnknownKey = (issue: Issue): boolean =>
  issue.expected === 'never' && issue.path?.at(-1)?.origin === 'key';

/** The key a strict object refused, if that is what the issue is. */
export const unknownKeyOf = (issue: Issue): string | undefined =>
  isUnknownKey(issue) ? String(issue.path?.at(-1)?.key) : undefined;

type Entries = v.ObjectEntries;

/**
 * An object's own issues worded as zod words them: a missing key gets the message its entry gives
 * `undefined` (zod parses the entry; valibot reports the key), an unknown key `Unrecognized key`.
 */
function objectMessage(entries: Entries): (issue: Issue) => string {
  return (issue) => {
    const key = issue.path?.at(-1)?.key;
    if (isUnknownKey(issue)) return `Unrecognized key: ${JSON.stringify(key)}`;
    if (issue.path?.at(-1)?.origin === 'key' && typeof key === 'string' && entries[key]) {
      const result = v.safeParse(entries[key], undefined);
      return result.issues?.[0].message ?? zodWording(issue);
    }
    return zodWording(issue);
  };
}

/**
 * An object that drops keys it does not name (zod's `z.object`). Unlike zod's, valibot's objects take
 * an array, which then reads as `{}` would (an array has none of the keys): nothing gets in as an
 * array that could not come as `{}`.
 */
export const object = <const E extends Entries>(entries: E) => v.object(entries, objectMessage(entries));

/** An object that refuses keys it does not name (zod's `z.strictObject`). */
export const strictObject = <const E extends Entries>(entries: E) =>
  v.strictObject(entries, objectMessage(entries));

/**
 * An issue's path as zod gives it, dot-joined: an unknown key is the object's issue, so its path is
 * the object's; '' for the input itself.
 */
export function issuePath(issue: Issue): string {
  const path = issue.path ?? [];
  const items = isUnknownKey(issue) ? path.slice(0, -1) : path;
  return items.map((item) => String(item.key)).join('.');
}

/**
 * A finite number (zod's `z.number()`: JSON.parse gives Infinity for 1e999), refused as a type is,
 * so a union tries its next option, as zod's does.
 */
export const number = () =>
  v.custom<number>(
    (input) => typeof input === 'number' && Number.isFinite(input),
    (issue) => `Invalid input: expected number, received ${typeName(issue.input)}`,
  );

/** How zod words a value that is not a safe integer. */
function intWording(input: unknown): string {
  if (typeof input !== 'number' || !Number.isFinite(input))
    return `Invalid input: expected number, received ${typeName(input)}`;
  if (!Number.isInteger(input)) return 'Invalid input: expected int, received number';
  return input > 0
    ? `Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}`
    : `Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}`;
}

/** A safe integer (zod's `z.int()`), refused as a type is, as `number` is. */
export const int = () =>
  v.custom<number>(
    (input) => typeof input === 'number' && Number.isSafeInteger(input),
    (issue) => intWording(issue.input),
  );

type Lengthy = string | readonly unknown[];

/** A string's length in code points, as zod counts it (an emoji is one, not two UTF-16 units). */
function lengthOf(input: Lengthy): number {
  if (typeof input !== 'string') return input.length;
  let count = 0;
  for (const _ of input) count += 1;
  return count;
}

/** zod's `minLength`: a string counted in code points (valibot's counts UTF-16 units). */
export const minLength = <TInput extends Lengthy>(requirement: number, message?: string) =>
  v.check<TInput, v.ErrorMessage<v.CheckIssue<TInput>>>(
    (input) => input.length >= requirement * 2 || lengthOf(input) >= requirement,
    message ??
      ((issue) => {
        const { origin, unit } = sizeOf(issue.input);
        return `Too small: expected ${origin} to have >=${requirement} ${unit}`;
      }),
  );

/** zod's `maxLength`: a string counted in code points (valibot's counts UTF-16 units). */
export const maxLength = <TInput extends Lengthy>(requirement: number, message?: string) =>
  v.check<TInput, v.ErrorMessage<v.CheckIssue<TInput>>>(
    (input) => input.length <= requirement || lengthOf(input) <= requirement,
    message ??
      ((issue) => {
        const { origin, unit } = sizeOf(issue.input);
        return `Too big: expected ${origin} to have <=${requirement} ${unit}`;
      }),
  );

/**
 * A record of string keys (zod's `z.record(z.string(), value)`): every own key but `__proto__`, each
 * key and value parsed, into a fresh object. Ours because valibot's drops the keys `constructor` and
 * `prototype` too (`constructor` is a valid template name) and takes an array.
 */
export function record<const K extends v.GenericSchema<string>, const V extends v.GenericSchema>(
  key: K,
  value: V,
) {
  return v.pipe(
    v.custom<Record<string, unknown>>(
      (input) => typeof input === 'object' && input !== null && !Array.isArray(input),
      (issue) => `Invalid input: expected record, received ${typeName(issue.input)}`,
    ),
    v.rawTransform<Record<string, unknown>, Record<v.InferOutput<K>, v.InferOutput<V>>>(
      ({ dataset, addIssue, NEVER }) => {
        const output: Record<string, unknown> = {};
        let failed = false;
        for (const [name, item] of Object.entries(dataset.value)) {
          if (name === '__proto__') continue;
          const at = {
            type: 'object',
            origin: 'value',
            input: dataset.value,
            key: name,
            value: item,
          } as const;
          const parsedKey = v.safeParse(key, name);
          const parsedValue = v.safeParse(value, item);
          for (const issue of [...(parsedKey.issues ?? []), ...(parsedValue.issues ?? [])]) {
            failed = true;
            addIssue({ message: issue.message, path: [at, ...(issue.path ?? [])] });
          }
          if (parsedValue.success) output[name] = parsedValue.output;
        }
        return failed ? NEVER : (output as Record<v.InferOutput<K>, v.InferOutput<V>>);
      },
    ),
  );
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * A date-time with seconds and Z or an offset (zod's `z.iso.datetime({ offset: true })`), one Date
 * can read: valibot's `isoTimestamp` also takes a space for the T and offsets Date cannot parse.
 */
export const isoDateTime = () =>
  v.pipe(
    v.string(),
    v.check((text) => rfc3339.test(text) && Number.isFinite(Date.parse(text)), 'Invalid ISO datetime'),
  );

/**
 * Parses or throws a ValiError that names every bad field (`details.repo: Invalid input: ...`), as a
 * ZodError did; valibot's own gives the first issue's message alone.
 */
export function parse<const S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const error = new v.ValiError(result.issues);
  error.message = result.issues
    .map((issue) => `${issuePath(issue) || '(input)'}: ${issue.message}`)
    .join('; ');
  throw error;
}

const asciiTabOrNewline = /[\t\n\r]/g;

/**
 * A URL, as zod's `z.url()` takes one: trimmed, then anything `URL` can parse, tabs and newlines
 * dropped. With `protocols`, only those, written with `://` (`{ protocol: /^https?$/ }` in zod).
 * Ours because valibot's `url` is a pattern, not the WHATWG parser the rest of Pitcrew and the CIs use.
 */
export const url = (options: { readonly message?: string; readonly protocols?: RegExp } = {}) =>
  v.pipe(
    v.string(),
    v.trim(),
    v.check((text) => {
      if (!options.protocols) return URL.canParse(text);
      if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || !URL.canParse(text)) return false;
      return options.protocols.test(new URL(text).protocol.slice(0, -1));
    }, options.message ?? 'Invalid URL'),
    v.transform((text) => text.replace(asciiTabOrNewline, '')),
  );
