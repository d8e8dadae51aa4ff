import * as v from '../../../shared/schema/valibot';
import * as z from '../../../shared/schema/zod';
import { importsBypassing } from '../../support/imports';

/** The first issue of a failed parse, as the webhook answers and the settings errors give it. */
const firstOfZod = (schema: z.ZodMiniType, input: unknown) => {
  const result = schema.safeParse(input);
  const issue = result.success ? undefined : result.error.issues[0];
  return issue && { path: issue.path.map(String).join('.'), message: issue.message };
};
const firstOfValibot = (schema: v.GenericSchema, input: unknown) => {
  const result = v.safeParse(schema, input);
  const issue = result.success ? undefined : result.issues[0];
  return issue && { path: v.issuePath(issue), message: issue.message };
};

/**
 * The same rule in both libraries, each with inputs it refuses: the functions answered with zod's
 * wording before they ran valibot, and shared/schema/valibot.ts keeps it.
 */
const cases: { name: string; zod: z.ZodMiniType; valibot: v.GenericSchema; inputs: unknown[] }[] = [
  {
    name: 'a type',
    zod: z.object({ a: z.string(), n: z.number(), b: z.boolean(), l: z.array(z.string()), o: z.object({}) }),
    valibot: v.object({
      a: v.string(),
      n: v.number(),
      b: v.boolean(),
      l: v.array(v.string()),
      o: v.object({}),
    }),
    inputs: [
      'text',
      null,
      { a: 5 },
      { a: 'x', n: '1' },
      { a: 'x', n: Number.NaN },
      { a: 'x', n: Infinity },
      { a: 'x', n: 1, b: 'yes' },
      { a: 'x', n: 1, b: true, l: {} },
      { a: 'x', n: 1, b: true, l: [3] },
      { a: 'x', n: 1, b: true, l: [], o: 'text' },
    ],
  },
  {
    name: 'a missing key',
    zod: z.object({
      s: z.string(),
      i: z.int(),
      e: z.enum(['a', 'b']),
      k: z.literal('x'),
      o: z.object({ s: z.string() }),
    }),
    valibot: v.object({
      s: v.string(),
      i: v.int(),
      e: v.picklist(['a', 'b']),
      k: v.literal('x'),
      o: v.object({ s: v.string() }),
    }),
    inputs: [{}, { s: '' }, { s: '', i: 1 }, { s: '', i: 1, e: 'a' }, { s: '', i: 1, e: 'a', k: 'x' }],
  },
  {
    name: 'lengths and sizes',
    zod: z.object({
      s: z.string().check(z.minLength(2), z.maxLength(3)),
      l: z.optional(z.array(z.string()).check(z.minLength(1), z.maxLength(2))),
      n: z.optional(z.number().check(z.minimum(1), z.maximum(5))),
      p: z.optional(z.int().check(z.positive())),
      z: z.optional(z.int().check(z.nonnegative())),
    }),
    valibot: v.object({
      s: v.pipe(v.string(), v.minLength(2), v.maxLength(3)),
      l: v.optional(v.pipe(v.array(v.string()), v.minLength(1), v.maxLength(2))),
      n: v.optional(v.pipe(v.number(), v.minValue(1), v.maxValue(5))),
      p: v.optional(v.pipe(v.int(), v.gtValue(0))),
      z: v.optional(v.pipe(v.int(), v.minValue(0))),
    }),
    inputs: [
      { s: 'a' },
      { s: 'abcd' },
      { s: '😀😀😀😀' },
      { s: 'ab', l: [] },
      { s: 'ab', l: ['a', 'b', 'c'] },
      { s: 'ab', n: 0 },
      { s: 'ab', n: 6 },
      { s: 'ab', p: 0 },
      { s: 'ab', p: 1.5 },
      { s: 'ab', p: 2 ** 60 },
      { s: 'ab', z: -1 },
    ],
  },
  {
    name: 'options, literals, patterns, URLs and dates',
    zod: z.object({
      e: z.enum(['a', 'b']),
      k: z.optional(z.literal('x')),
      r: z.optional(z.string().check(z.regex(/^\d+$/))),
      u: z.optional(z.url()),
      d: z.optional(z.iso.datetime({ offset: true })),
    }),
    valibot: v.object({
      e: v.picklist(['a', 'b']),
      k: v.optional(v.literal('x')),
      r: v.optional(v.pipe(v.string(), v.regex(/^\d+$/))),
      u: v.optional(v.url()),
      d: v.optional(v.isoDateTime()),
    }),
    inputs: [
      { e: 'c' },
      { e: 'a', k: 'y' },
      { e: 'a', r: '12a' },
      { e: 'a', u: 'not a url' },
      { e: 'a', d: 'yesterday' },
      { e: 'a', d: '2016-07-11T22:14:10+01' },
      { e: 'a', d: '2016-07-11 22:14:10Z' },
    ],
  },
  {
    name: 'unions, discriminated unions and records',
    zod: z.object({
      u: z.optional(z.union([z.string(), z.number()])),
      i: z.optional(z.union([z.string().check(z.minLength(1)), z.int()])),
      r: z.optional(z.record(z.string(), z.int())),
      d: z.optional(
        z.discriminatedUnion('kind', [
          z.object({ kind: z.literal('a') }),
          z.object({ kind: z.literal('b') }),
        ]),
      ),
    }),
    valibot: v.object({
      u: v.optional(v.union([v.string(), v.number()])),
      i: v.optional(v.union([v.pipe(v.string(), v.minLength(1)), v.int()])),
      r: v.optional(v.record(v.string(), v.int())),
      d: v.optional(
        v.variant('kind', [v.object({ kind: v.literal('a') }), v.object({ kind: v.literal('b') })]),
      ),
    }),
    inputs: [
      { u: true },
      { d: { kind: 'c' } },
      { d: {} },
      { i: 1.5 },
      { i: Infinity },
      { i: '' },
      { r: [] },
      { r: 'text' },
      { r: { a: 1, b: 'x' } },
    ],
  },
  {
    name: 'keys a strict object does not allow',
    zod: z.strictObject({ a: z.optional(z.string()), o: z.optional(z.strictObject({})) }),
    valibot: v.strictObject({ a: v.optional(v.string()), o: v.optional(v.strictObject({})) }),
    inputs: [{ b: 1 }, { a: 'x', o: { c: 1 } }],
  },
];

describe('shared/schema/valibot', () => {
  describe.each(cases)('words $name as zod did, at the same path', ({ zod, valibot, inputs }) => {
    it.each(inputs.map((input) => [JSON.stringify(input) ?? String(input), input]))('%s', (_, input) => {
      const expected = firstOfZod(zod, input);
      expect(expected).toBeDefined();
      expect(firstOfValibot(valibot, input)).toEqual(expected);
    });
  });

  it('takes what zod takes, and gives the same output', () => {
    const zod = z.object({
      s: z.string().check(z.trim(), z.minLength(1), z.maxLength(3)),
      r: z._default(z.record(z.string(), z.int()), {}),
      u: z.url(),
      n: z._default(z.int(), 3),
      l: z._default(z.array(z.string()), []),
      o: z.optional(z.nullable(z.string())),
    });
    const valibot = v.object({
      s: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(3)),
      r: v.optional(v.record(v.string(), v.int()), {}),
      u: v.url(),
      n: v.optional(v.int(), 3),
      l: v.optional(v.array(v.string()), []),
      o: v.optional(v.nullable(v.string())),
    });
    for (const input of [
      { s: ' a ', u: ' https://ci.example.com/job/1 ', extra: true },
      { s: 'b', u: 'https://ci.example.com/\tjob', n: 7, l: ['x'], o: null },
      { s: 'c', u: 'mailto:ops@example.com', o: 'text' },
      // Three code points, six UTF-16 units; `constructor` is a key like any other, `__proto__` is not.
      {
        s: '😀😀😀',
        u: 'https://ci',
        r: JSON.parse('{"constructor": 1, "__proto__": 2, "b": 3}') as unknown,
      },
    ]) {
      const expected = zod.safeParse(input);
      expect(expected.success).toBe(true);
      expect(v.parse(valibot, input)).toEqual(expected.data);
    }
  });

  // valibot's objects take any object, arrays too; zod refused an array. An array then reads as an
  // object with none of the keys (arrays have none of a schema's names), so nothing gets through as
  // an array that could not come as {}: the fields it lacks are refused, or read as absent.
  it('reads an array where an object is expected as {}, which zod refused', () => {
    const zod = z.object({ a: z.optional(z.string()) });
    const valibot = v.object({ a: v.optional(v.string()) });
    expect(zod.safeParse([]).success).toBe(false);
    expect(v.parse(valibot, [])).toEqual(v.parse(valibot, {}));
    expect(firstOfValibot(v.object({ a: v.string() }), [])).toEqual(
      firstOfValibot(v.object({ a: v.string() }), {}),
    );
  });

  it('throws an error that names every bad field, as a ZodError did', () => {
    const schema = v.object({ a: v.string(), o: v.object({ n: v.number() }) });
    expect(() => v.parse(schema, { o: { n: 'x' } })).toThrow(
      'a: Invalid input: expected string, received undefined; o.n: Invalid input: expected number, received string',
    );
  });

  it('takes only http and https URLs with :// when told, as zod did', () => {
    const zod = z.url({ protocol: /^https?$/ });
    const valibot = v.url({ protocols: /^https?$/ });
    for (const input of [
      'https://ci/job/1',
      'http://ci',
      'ftp://ci/x',
      'http:ci.example.com',
      'https:/ci',
      'x',
    ])
      expect({ input, ok: v.safeParse(valibot, input).success }).toEqual({
        input,
        ok: zod.safeParse(input).success,
      });
  });

  // The bundle size depends on it: a namespace import of this module bundles only what is used.
  it('is the only way product code imports valibot, as a namespace', () => {
    expect(importsBypassing('valibot', 'v', (from) => from === 'valibot')).toEqual([]);
  });
});
