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
    expect(parseOpsEvent({ action: 'redrive', confirm: true })).toEqual({
      action: 'redrive',
      max: 100,
      confirm: true,
    });
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
    expect(refusal({ action: 'list', source: 'teamcity' }).field).toBe('source');
    expect(refusal({ action: 'caps', cap: -1 }).field).toBe('cap');
    expect(refusal({ action: 'caps', cap: 1.5 }).field).toBe('cap');
    expect(refusal({ action: 'reconcile', force: 'yes' }).field).toBe('force');
  });

  it('takes who asks, as the caller says it, on every action', () => {
    expect(parseOpsEvent({ action: 'status', actor: ' alice@laptop ' })).toEqual({
      action: 'status',
      actor: 'alice@laptop',
    });
    expect(refusal({ action: 'status', actor: '' }).field).toBe('actor');
    expect(refusal({ action: 'status', actor: 'x'.repeat(201) }).field).toBe('actor');
    expect(refusal({ action: 'status', confirm: true }).field).toBe('confirm');
  });

  it.each([
    [{ action: 'cancel', requestId: 'generic-1' }, /cancel ends request 'generic-1' for good/],
    [{ action: 'drain' }, /drain stops provisioning/],
    [{ action: 'drain', confirm: false }, /drain stops provisioning/],
    [{ action: 'reconcile', force: true }, /reconcile with force deletes running agents/],
    [{ action: 'redrive' }, /redrive moves up to 100 dead-letter messages/],
    [{ action: 'caps', template: 'gh', cap: 0 }, /a cap of 0 stops every new agent of template 'gh'/],
    [{ action: 'caps', cap: 0 }, /a global cap of 0 stops every new agent/],
  ])('refuses destructive %j without confirm: true, naming the confirmation', (event, effect) => {
    const error = refusal(event);
    expect(error.field).toBe('confirm');
    expect(error.message).toMatch(effect);
    expect(error.message).toMatch(
      /'confirm' is required: .*Send "confirm": true .*--yes.*nothing was changed/,
    );
    expect(parseOpsEvent({ ...event, confirm: true }).action).toBe(event.action);
  });

  it('needs no confirmation to read, undo or raise', () => {
    for (const event of [
      { action: 'reconcile' },
      { action: 'reconcile', force: false },
      { action: 'resume' },
      { action: 'retry', requestId: 'generic-1' },
      { action: 'caps' },
      { action: 'caps', template: 'gh', cap: 5 },
      { action: 'caps', cap: null },
    ])
      expect(parseOpsEvent(event).action).toBe(event.action);
  });

  it('refuses a field the action does not take, by name', () => {
    const error = refusal({ action: 'status', verbose: true });
    expect(error.field).toBe('verbose');
    expect(error.message).toMatch(/'verbose' is not a field of this action/);
  });
});
