import { labelFromWhy } from '../../../../shared/sources/jenkins/queue-why';

describe('labelFromWhy', () => {
  it.each([
    ['Waiting for next available executor on ‘linux’', 'linux'],
    ["Waiting for next available executor on 'linux'", 'linux'],
    ['Waiting for next available executor on "linux"', 'linux'],
    ['Waiting for next available executor on linux', 'linux'],
    ['There are no nodes with the label ‘gpu’', 'gpu'],
    ["There are no nodes with the label 'gpu'", 'gpu'],
    ['All nodes of label ‘arm64’ are offline', 'arm64'],
    ['All nodes of label arm64 are offline', 'arm64'],
    ["All nodes of label 'arm64' are offline", 'arm64'],
  ])('%s → %s', (why, label) => {
    expect(labelFromWhy(why)).toBe(label);
  });

  it('keeps a label expression whole, with its operators and quoted labels', () => {
    expect(labelFromWhy('Waiting for next available executor on ‘linux&&(docker||podman)’')).toBe(
      'linux&&(docker||podman)',
    );
    expect(labelFromWhy('There are no nodes with the label ‘"my label" && linux’')).toBe(
      '"my label" && linux',
    );
    expect(labelFromWhy("All nodes of label 'linux && !arm' are offline")).toBe('linux && !arm');
  });

  it('strips mismatched quotes and a full stop, and ignores text after the closing quote', () => {
    expect(labelFromWhy("There are no nodes with the label ‘gpu'")).toBe('gpu');
    expect(labelFromWhy('There are no nodes with the label gpu.')).toBe('gpu');
    expect(labelFromWhy('Waiting for next available executor on ‘linux’ (ETA: 2 min)')).toBe('linux');
  });

  it('reads a Pipeline log and composite causes', () => {
    expect(
      labelFromWhy('Still waiting to schedule task\nWaiting for next available executor on ‘linux’'),
    ).toBe('linux');
    expect(labelFromWhy('‘agent-1’ doesn’t have label ‘gpu’; ‘agent-2’ is offline')).toBe('gpu');
  });

  it.each([
    'In the quiet period. Expires in 0 ms',
    'Waiting for next available executor',
    'Build #475 is already in progress (ETA: 23 min)',
    '‘agent-2’ is offline',
    'Blocked by upstream project app',
    'Waiting for next available executor on ‘’',
    '',
  ])('finds no label in %j', (why) => {
    expect(labelFromWhy(why)).toBeUndefined();
  });
});
