import { labelFromWhy, maxWhySegment, maxWhySegments } from '../../../../shared/sources/jenkins/queue-why';

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
    // Exactly one node has the label: Jenkins names the node, whose name is one of its labels.
    ['‘agent-2’ is offline', 'agent-2'],
    ['agent-2 is offline', 'agent-2'],
    ['Waiting for next available executor on ‘pc-jk-linux-0123456789’', 'pc-jk-linux-0123456789'],
  ])('%s → %s', (why, label) => {
    expect(labelFromWhy(why)).toBe(label);
  });

  it('skips a cause longer than the limit unread, and reads the next', () => {
    const label = 'l'.repeat(maxWhySegment);
    // Within the limit it is read; past it, skipped unread.
    expect(labelFromWhy(`There are no nodes with the label ‘${'l'.repeat(900)}’`)).toBe('l'.repeat(900));
    expect(labelFromWhy(`There are no nodes with the label ‘${label}’`)).toBeUndefined();
    expect(labelFromWhy(`All nodes of label ${' '.repeat(40_000)}x are offline`)).toBeUndefined();
    expect(
      labelFromWhy(`There are no nodes with the label ‘${label}’; All nodes of label ‘arm64’ are offline`),
    ).toBe('arm64');
  });

  it('reads a hostile why text in time linear in its length, and no cause past the first 32', () => {
    // A cause of 975 spaces took the old `\s+(.+?)\s+are offline` pattern about 150 ms; sixty of them
    // (61 KB, a delivery's body or a label in a Jenkinsfile) outlasted the webhook's 10 s timeout.
    const spaces = `All nodes of label${' '.repeat(975)}x`;
    const hostile = [
      `Waiting for next available executor on ‘"${'x'.repeat(1001)}"’`,
      ...Array(60).fill(spaces),
    ];
    const started = process.hrtime.bigint();
    expect(labelFromWhy(hostile.join('; '))).toBeUndefined();
    expect(labelFromWhy(`All nodes of label${' '.repeat(400)}‘arm64’${' '.repeat(400)}are offline`)).toBe(
      'arm64',
    );
    // Not a speed target: a guard 10,000 times above what it takes now (about 1 ms), and far under
    // the seconds the old pattern took, so that a pattern that backtracks again fails here.
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
    const causes = (label: string, at: number) =>
      [
        ...Array(at).fill('Blocked by upstream project app'),
        `There are no nodes with the label ‘${label}’`,
      ].join('; ');
    expect(labelFromWhy(causes('gpu', maxWhySegments - 1))).toBe('gpu');
    expect(labelFromWhy(causes('gpu', maxWhySegments))).toBeUndefined();
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
    // A cause naming a label wins over an offline node listed before it.
    expect(labelFromWhy('‘agent-2’ is offline; ‘agent-1’ doesn’t have label ‘gpu’')).toBe('gpu');
  });

  it.each([
    'In the quiet period. Expires in 0 ms',
    'Waiting for next available executor',
    'Build #475 is already in progress (ETA: 23 min)',
    'Jenkins is going to shut down is offline',
    'Blocked by upstream project app',
    'Waiting for next available executor on ‘’',
    '',
  ])('finds no label in %j', (why) => {
    expect(labelFromWhy(why)).toBeUndefined();
  });
});
