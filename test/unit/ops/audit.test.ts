import type { OpsResult } from '../../../shared/ops';
import { auditRecord, callerOf, OpsInputError, OpsNotFoundError } from '../../../shared/ops';
import { lambdaContext } from '../../../infra/local/stand-ins/lambda';

const context = lambdaContext('pitcrew-prod-ops');

describe('callerOf', () => {
  it('records what Lambda gives: the invoked ARN and request id, and the actor the event names', () => {
    expect(callerOf({ action: 'drain', actor: 'alice@laptop' }, context)).toEqual({
      actor: 'alice@laptop',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:pitcrew-prod-ops',
      requestId: context.awsRequestId,
    });
    expect(callerOf({ action: 'drain' }, context)).not.toHaveProperty('actor');
    expect(callerOf('not an object', context)).not.toHaveProperty('actor');
  });

  it('adds the Cognito identity and the client context when the caller had them', () => {
    const caller = callerOf(
      { action: 'status' },
      {
        ...context,
        identity: { cognitoIdentityId: 'eu-west-1:abc', cognitoIdentityPoolId: 'eu-west-1:pool' },
        clientContext: {
          client: {
            installationId: 'i',
            appTitle: 'ops-console',
            appVersionName: '1',
            appVersionCode: '1',
            appPackageName: 'p',
          },
          env: { platformVersion: '', platform: '', make: '', model: '', locale: '' },
        },
      },
    );
    expect(caller.cognitoIdentity).toEqual({ identityId: 'eu-west-1:abc', identityPoolId: 'eu-west-1:pool' });
    expect(caller.clientContext).toMatchObject({ client: { appTitle: 'ops-console' } });
  });
});

describe('auditRecord', () => {
  const caller = callerOf({ actor: 'alice' }, context);

  it('as it starts: the action and its arguments, no result yet', () => {
    const event = { action: 'redrive', max: 500, confirm: true, actor: 'alice' };
    expect(auditRecord(event, caller, { started: true })).toEqual({
      caller,
      action: 'redrive',
      arguments: { max: 500, confirm: true },
      outcome: 'started',
    });
  });

  it('a change that was done: the action, its arguments and what changed', () => {
    const event = { action: 'cancel', requestId: 'generic-1', confirm: true, actor: 'alice' };
    const result = {
      action: 'cancel',
      requestId: 'generic-1',
      status: 'cancelled',
      podDeleted: 'pc-1',
      freedSlot: true,
      woken: 0,
    } as OpsResult;
    expect(auditRecord(event, caller, { result })).toEqual({
      caller,
      action: 'cancel',
      arguments: { requestId: 'generic-1', confirm: true },
      outcome: 'done',
      result: { requestId: 'generic-1', status: 'cancelled', podDeleted: 'pc-1', freedSlot: true, woken: 0 },
    });
  });

  it('keeps counts, not lists, of what an answer holds', () => {
    const reconcile = {
      action: 'reconcile',
      report: { podsByPhase: { Running: 3 }, deleted: { finished: 1 }, errors: 0 },
    };
    expect(auditRecord({ action: 'reconcile' }, caller, { result: reconcile as OpsResult }).result).toEqual({
      deleted: { finished: 1 },
      errors: 0,
    });
    const list = { action: 'list', items: [{}, {}], next: 'abc' };
    expect(auditRecord({ action: 'list' }, caller, { result: list as OpsResult }).result).toEqual({
      items: 2,
      more: true,
    });
  });

  it('an unconfirmed action was refused, with its arguments and the reason', () => {
    const event = { action: 'drain' };
    const error = new OpsInputError('confirm', 'is required: drain stops provisioning');
    expect(auditRecord(event, caller, { error })).toMatchObject({
      action: 'drain',
      arguments: {},
      outcome: 'refused',
      error: { type: 'OpsInputError', message: expect.stringMatching(/'confirm' is required/) },
    });
  });

  it('an event that does not parse: only its field names, never its values', () => {
    const event = { action: 'drain', token: 'hunter2', now: true };
    const record = auditRecord(event, caller, { error: new OpsInputError('token', 'is not a field') });
    expect(record).toMatchObject({ action: 'drain', fields: ['action', 'token', 'now'], outcome: 'refused' });
    expect(record).not.toHaveProperty('arguments');
    expect(JSON.stringify(record)).not.toContain('hunter2');
  });

  it('tells a refusal (an OpsError) from a failure of a server behind the function', () => {
    const notFound = new OpsNotFoundError("no request 'x'");
    expect(auditRecord({ action: 'describe', requestId: 'x' }, caller, { error: notFound }).outcome).toBe(
      'refused',
    );
    const failed = auditRecord({ action: 'status' }, caller, { error: new Error('connect ECONNREFUSED') });
    expect(failed).toMatchObject({
      outcome: 'failed',
      error: { type: 'Error', message: 'connect ECONNREFUSED' },
    });
  });
});
