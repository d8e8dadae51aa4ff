import { callsOnPath, describePath } from '../../../bench/lib/path-calls';

describe("a path's calls, from the proxies' stamps", () => {
  const windows = [
    { start: 1000, end: 1100 },
    { start: 2000, end: 2100 },
    { start: 3000, end: 3100 },
  ];

  it('gives each call every build made, numbered within the build, with its median moment and server time', () => {
    const calls = windows.flatMap(({ start }, build) => [
      { operation: 'PutItem', at: start + 2 + build, upstreamMs: 3 + build },
      { operation: 'SendMessage', at: start + 10, upstreamMs: 5 },
      { operation: 'PutItem', at: start + 30 + build, upstreamMs: 7 },
    ]);
    expect(callsOnPath(calls, windows)).toEqual([
      { call: 'PutItem#1', atMs: 3, serverMs: 4 },
      { call: 'SendMessage#1', atMs: 10, serverMs: 5 },
      { call: 'PutItem#2', atMs: 31, serverMs: 7 },
    ]);
  });

  it('leaves out what only some builds made, and what fell outside every window', () => {
    const calls = [
      ...windows.map(({ start }) => ({ operation: 'PutItem', at: start + 5, upstreamMs: 2 })),
      // A retry in one build only, and the tail of a build after its window ended.
      { operation: 'BatchGetItem', at: 2050, upstreamMs: 9 },
      ...windows.map(({ end }) => ({ operation: 'DeleteMessageBatch', at: end + 20, upstreamMs: 4 })),
      // A call from before the proxies stamped calls.
      { operation: 'GetItem' },
    ];
    const path = callsOnPath(calls, windows);
    expect(path.map(({ call }) => call)).toEqual(['PutItem#1']);
    expect(describePath(path)).toBe('PutItem#1 at 5 (2)');
  });

  it("takes the server's time from the builds whose call has one, and leaves out a call none has", () => {
    const calls = windows.flatMap(({ start }, build) => [
      // A call still unanswered when the calls were fetched (or refused by a fault) has no time.
      { operation: 'PutItem', at: start + 1, ...(build === 0 ? {} : { upstreamMs: 4 + build }) },
      { operation: 'SendMessage', at: start + 6 },
    ]);
    expect(callsOnPath(calls, windows)).toEqual([{ call: 'PutItem#1', atMs: 1, serverMs: 5 }]);
  });
});
