import { operatorOf, parseOpsCommand } from '../../../infra/local/cli/ops-args';
import { UsageError } from '../../../infra/local/cli/usage';

describe('pitcrew <action> arguments', () => {
  it('turns each command line into the ops event', () => {
    expect(parseOpsCommand('status', []).event).toEqual({ action: 'status' });
    expect(
      parseOpsCommand('list', ['--status', 'waiting', '--template', 'gh', '--limit', '5']).event,
    ).toEqual({ action: 'list', status: 'waiting', template: 'gh', limit: 5 });
    expect(parseOpsCommand('describe', ['github-1']).event).toEqual({
      action: 'describe',
      requestId: 'github-1',
    });
    expect(parseOpsCommand('reconcile', []).event).toEqual({ action: 'reconcile', force: false });
    expect(parseOpsCommand('reconcile', ['--force', '--yes']).event).toEqual({
      action: 'reconcile',
      force: true,
      confirm: true,
    });
    expect(parseOpsCommand('redrive', ['--max', '7', '--yes']).event).toEqual({
      action: 'redrive',
      max: 7,
      confirm: true,
    });
    expect(parseOpsCommand('drain', ['--yes']).event).toEqual({ action: 'drain', confirm: true });
    expect(parseOpsCommand('cancel', ['github-1', '--yes']).event).toEqual({
      action: 'cancel',
      requestId: 'github-1',
      confirm: true,
    });
    expect(parseOpsCommand('caps', []).event).toEqual({ action: 'caps' });
    expect(parseOpsCommand('caps', ['gh', '3']).event).toEqual({ action: 'caps', template: 'gh', cap: 3 });
    expect(parseOpsCommand('caps', ['gh', 'default']).event).toEqual({
      action: 'caps',
      template: 'gh',
      cap: null,
    });
    expect(parseOpsCommand('caps', ['--global', '40']).event).toEqual({ action: 'caps', cap: 40 });
    expect(parseOpsCommand('caps', ['gh', '0', '--yes']).event).toEqual({
      action: 'caps',
      template: 'gh',
      cap: 0,
      confirm: true,
    });
  });

  it.each([
    [['drain'], /drain stops provisioning/],
    [['cancel', 'github-1'], /cancel ends request 'github-1' for good/],
    [['reconcile', '--force'], /reconcile with force deletes running agents/],
    [['redrive'], /redrive moves up to 100 dead-letter messages/],
    [['redrive', '--max', '5'], /redrive moves up to 5 dead-letter messages/],
    [['caps', 'gh', '0'], /a cap of 0 stops every new agent of template 'gh'/],
    [['caps', '--global', '0'], /a global cap of 0 stops every new agent/],
  ])('refuses destructive %j without --yes, saying what it would do', (argv, effect) => {
    const [action, ...rest] = argv as [Parameters<typeof parseOpsCommand>[0], ...string[]];
    expect(() => parseOpsCommand(action, rest)).toThrow(UsageError);
    expect(() => parseOpsCommand(action, rest)).toThrow(effect);
    expect(() => parseOpsCommand(action, rest)).toThrow(/nothing was done\. Run it again with --yes/);
  });

  it('takes --yes only on the actions that can be destructive', () => {
    expect(() => parseOpsCommand('status', ['--yes'])).toThrow(/status does not take --yes/);
    expect(() => parseOpsCommand('resume', ['--yes'])).toThrow(/resume does not take --yes/);
  });

  it('names the operator for the audit line: PITCREW_ACTOR, else user@host', () => {
    expect(operatorOf({ PITCREW_ACTOR: ' arn:aws:iam::123456789012:user/alice ' }, 'laptop')).toBe(
      'arn:aws:iam::123456789012:user/alice',
    );
    expect(operatorOf({ USER: 'alice' }, 'laptop')).toBe('alice@laptop');
    expect(operatorOf({ USERNAME: 'bob' }, 'desk')).toBe('bob@desk');
    expect(operatorOf({ PITCREW_ACTOR: 'x'.repeat(300) }, 'h')).toHaveLength(200);
  });

  it('reads --json and the deployed target', () => {
    const command = parseOpsCommand('status', ['--json', '--stage', 'prod', '--region', 'eu-west-1']);
    expect(command.json).toBe(true);
    expect(command.target).toEqual({ stage: 'prod', region: 'eu-west-1', functionName: undefined });
    expect(parseOpsCommand('status', []).target.stage).toBeUndefined();
  });

  it.each([
    [['describe'], /describe takes one request id/],
    [['describe', 'a', 'b'], /describe takes one request id/],
    [['status', 'now'], /status takes no arguments/],
    [['status', '--force'], /status does not take --force/],
    [['list', '--limit', 'ten'], /--limit must be a whole number, got 'ten'/],
    [['caps', 'gh'], /caps takes a template and a cap/],
    [['caps', 'gh', 'lots'], /the cap must be a whole number or 'default', got 'lots'/],
    [['caps', 'gh', '--global', '3'], /caps --global takes no template/],
    // A deployed system named without its stage would be the local one: refused, not acted on there.
    [['drain', '--yes', '--region', 'eu-west-1'], /--region names a deployed system: add --stage/],
    [['drain', '--yes', '--function', 'pitcrew-prod-ops'], /--function names a deployed system: add --stage/],
  ])('refuses %j with a message that says what to do', (argv, message) => {
    const [action, ...rest] = argv as [Parameters<typeof parseOpsCommand>[0], ...string[]];
    expect(() => parseOpsCommand(action, rest)).toThrow(UsageError);
    expect(() => parseOpsCommand(action, rest)).toThrow(message);
  });

  it('leaves unknown options to node:util parseArgs, which refuses them', () => {
    expect(() => parseOpsCommand('status', ['--colour'])).toThrow(/Unknown option '--colour'/);
  });
});
