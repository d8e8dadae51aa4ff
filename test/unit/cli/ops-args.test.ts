import { parseOpsCommand } from '../../../infra/local/cli/ops-args';
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
    expect(parseOpsCommand('reconcile', ['--force']).event).toEqual({ action: 'reconcile', force: true });
    expect(parseOpsCommand('redrive', ['--max', '7']).event).toEqual({ action: 'redrive', max: 7 });
    expect(parseOpsCommand('caps', []).event).toEqual({ action: 'caps' });
    expect(parseOpsCommand('caps', ['gh', '3']).event).toEqual({ action: 'caps', template: 'gh', cap: 3 });
    expect(parseOpsCommand('caps', ['gh', 'default']).event).toEqual({
      action: 'caps',
      template: 'gh',
      cap: null,
    });
    expect(parseOpsCommand('caps', ['--global', '40']).event).toEqual({ action: 'caps', cap: 40 });
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
  ])('refuses %j with a message that says what to do', (argv, message) => {
    const [action, ...rest] = argv as [Parameters<typeof parseOpsCommand>[0], ...string[]];
    expect(() => parseOpsCommand(action, rest)).toThrow(UsageError);
    expect(() => parseOpsCommand(action, rest)).toThrow(message);
  });

  it('leaves unknown options to node:util parseArgs, which refuses them', () => {
    expect(() => parseOpsCommand('status', ['--colour'])).toThrow(/Unknown option '--colour'/);
  });
});
