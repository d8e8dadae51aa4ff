import { OpsInputError, listDefaults, parseOpsEvent } from '../../../shared/ops';

const refusal = (event: unknown): OpsInputError => {
  try {
    parseOpsEvent(event);
  } catch (error) {
    if (error instanceof OpsInputError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(event)}`);
};

describe('parseOpsEvent', () => {
  it('accepts each action with its defaults filled in', () => {
    expect(parseOpsEvent({ action: 'status' })).toEqual({ action: 'status' });
    expect(parseOpsEvent({ action: 'list' })).toEqual({ action: 'list', limit: listDefaults.limit });
    expect(parseOpsEvent({ action: 'reconcile' })).toEqual({ action: 'reconcile', force: false });
    expect(parseOpsEvent({ action: 'redrive' })).toEqual({ action: 'redrive', max: 100 });
    expect(parseOpsEvent({ action: 'caps', template: 'gh', cap: null })).toEqual({
      action: 'caps',
      template: 'gh',
      cap: null,
    });
  });

  it('names the action field, with the choices, for a missing or unknown action', () => {
    expect(refusal({}).field).toBe('action');
    expect(refusal({}).message).toMatch(/'action' is required: use one of status, list/);
    expect(refusal({ action: 'explode' }).message).toMatch(/'explode' is not an action/);
    expect(refusal('status').field).toBe('action');
    expect(refusal(null).field).toBe('action');
    // A value that cannot be turned into a string the usual way is still quoted, not a crash.
    expect(refusal({ action: { toString: null } }).message).toMatch(/\{"toString":null\} is not an action/);
  });

  it('names the bad field of a known action', () => {
    expect(refusal({ action: 'describe' }).field).toBe('requestId');
    expect(refusal({ action: 'cancel', requestId: '' }).field).toBe('requestId');
    expect(refusal({ action: 'list', limit: 0 }).field).toBe('limit');
    expect(refusal({ action: 'list', limit: 10_000 }).field).toBe('limit');
    expect(refusal({ action: 'list', status: 'sleeping' }).field).toBe('status');
    expect(refusal({ action: 'list', source: 'gitlab' }).field).toBe('source');
    expect(refusal({ action: 'caps', cap: -1 }).field).toBe('cap');
    expect(refusal({ action: 'caps', cap: 1.5 }).field).toBe('cap');
    expect(refusal({ action: 'reconcile', force: 'yes' }).field).toBe('force');
  });

  it('refuses a field the action does not take, by name', () => {
    const error = refusal({ action: 'status', verbose: true });
    expect(error.field).toBe('verbose');
    expect(error.message).toMatch(/'verbose' is not a field of this action/);
  });
});
