import { decideProvision } from '../../../shared/provision';
import { queuedRecord } from '../../support/records';

describe('decideProvision', () => {
  it('skips a request that does not exist', () => {
    expect(decideProvision(undefined, false)).toMatchObject({ kind: 'skip' });
  });

  it.each(['completed', 'cancelled', 'failed', 'provisioned', 'started'] as const)(
    'skips a %s request',
    (status) => {
      expect(decideProvision(queuedRecord('r', { status }), false)).toMatchObject({ kind: 'skip' });
    },
  );

  it('reserves for a queued or waiting request', () => {
    expect(decideProvision(queuedRecord('r'), false)).toEqual({ kind: 'reserve' });
    expect(decideProvision(queuedRecord('r', { status: 'waiting' }), false)).toEqual({ kind: 'reserve' });
  });

  it('finishes an ending request (its agent goes, then its slot), drained or not', () => {
    const ending = queuedRecord('r', { status: 'ending', holdsSlot: true, endAs: 'cancelled' });
    expect(decideProvision(ending, false)).toEqual({ kind: 'finish' });
    expect(decideProvision(ending, true)).toEqual({ kind: 'finish' });
  });

  it('waits while drained, without reserving', () => {
    expect(decideProvision(queuedRecord('r'), true)).toEqual({
      kind: 'wait',
      reason: 'provisioning is drained',
    });
  });

  it('resumes a request that holds a slot from an attempt that stopped half-way, even when drained', () => {
    expect(decideProvision(queuedRecord('r', { status: 'provisioning', holdsSlot: true }), true)).toEqual({
      kind: 'resume',
    });
  });
});
