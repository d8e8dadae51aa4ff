import fc from 'fast-check';
import { OpsInputError, opsActions, parseOpsEvent } from '../../../shared/ops';

/**
 * Property-based tests of the ops event parser: for any JSON value, and for any mutation of a valid
 * event, it returns an event of a known action or throws one OpsInputError naming a field that is
 * in the event (or `action`), never another error.
 */
const validEvents: Record<string, unknown>[] = [
  { action: 'status' },
  { action: 'list', status: 'waiting', template: 'gh-linux', source: 'github', limit: 20 },
  { action: 'describe', requestId: 'github-0123' },
  { action: 'drain', confirm: true, actor: 'alice@laptop' },
  { action: 'resume' },
  { action: 'reconcile', force: true, confirm: true },
  { action: 'cancel', requestId: 'generic-1', confirm: true },
  { action: 'retry', requestId: 'jenkins-2', actor: 'arn:aws:iam::123456789012:user/alice' },
  { action: 'redrive', max: 10, confirm: true },
  { action: 'caps', template: 'gh-linux', cap: 3 },
  { action: 'caps', template: 'gh-linux', cap: 0, confirm: true },
  { action: 'caps', cap: null },
];

const actionFields = new Set([...validEvents.flatMap((event) => Object.keys(event)), 'cursor']);

function check(event: unknown): void {
  let parsed: { action: string } | undefined;
  try {
    parsed = parseOpsEvent(event);
  } catch (error) {
    expect(error).toBeInstanceOf(OpsInputError);
    const { field, message } = error as OpsInputError;
    expect(message).toContain(`'${field}'`);
    const sent = typeof event === 'object' && event !== null ? Object.keys(event) : [];
    // The field named is one the caller sent, or one the action takes (a missing one), or `action`.
    const named = field.split('.')[0] ?? '';
    expect(named === 'action' || sent.includes(named) || actionFields.has(named)).toBe(true);
    return;
  }
  expect(opsActions).toContain(parsed.action);
}

describe('ops events, random and mutated', () => {
  it('any JSON value is parsed or refused with an OpsInputError naming the field', () => {
    fc.assert(fc.property(fc.jsonValue(), check), { numRuns: 500 });
  });

  it('a valid event with one field replaced, removed or added is parsed or refused by name', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...validEvents),
        fc.nat(),
        fc.jsonValue(),
        fc.constantFrom('set', 'delete', 'add'),
        (event, index, value, mode) => {
          const keys = Object.keys(event);
          const key = keys[index % keys.length] ?? 'action';
          const copy: Record<string, unknown> = { ...event };
          if (mode === 'delete') delete copy[key];
          else if (mode === 'set') copy[key] = value;
          else copy[`extra${index}`] = value;
          check(copy);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('every valid sample parses to its own action', () => {
    for (const event of validEvents) expect(parseOpsEvent(event).action).toBe(event.action);
  });
});
