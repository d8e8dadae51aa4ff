import { printable, printableJson } from '../../../infra/local/cli/printable';
import { render } from '../../../infra/local/cli/render';
import type { OpsResult } from '../../../shared/ops';

/**
 * What `pitcrew list`, `describe` and the others print comes partly from deliveries and CIs (a
 * generic job id, a URL, a reason): none of it may reach the terminal as a control sequence.
 */
const esc = '\u001b';
const csi = '\u009b'; // the one-character CSI of C1
const osc = '\u009d'; // the one-character OSC of C1
const clearScreen = `${esc}[2J${esc}[H`;
const title = `${esc}]0;owned${'\u0007'}`;
const link = `${esc}]8;;https://evil.example/${esc}\\click${esc}]8;;${esc}\\`;

// Every control character but the newlines that separate lines.
// eslint-disable-next-line no-control-regex -- finding them is the test
const anyControl = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

const request = {
  requestId: 'generic-0123456789abcdef0123',
  source: 'generic',
  jobKey: `build-1${clearScreen}`,
  status: 'failed',
  template: 'gen',
  since: new Date().toISOString(),
  createdAt: new Date().toISOString(),
  reason: `no template serves${title}`,
  url: `https://ci.example.com/${link}`,
};

describe('render: text from a delivery or a CI reaches the terminal printable', () => {
  it('list: the job key and the reason', () => {
    const output = render({ action: 'list', items: [request] } as unknown as OpsResult);
    expect(output).not.toMatch(anyControl);
    expect(output).toContain('build-1\\u001b[2J\\u001b[H');
    expect(output).toContain('no template serves\\u001b]0;owned\\u0007');
  });

  it('describe: every field of the request, its details, its pod and its events', () => {
    const output = render({
      action: 'describe',
      request: { ...request, details: { source: 'generic', note: `${csi}31m${osc}x` } },
      pod: {
        name: 'pc-gen-0123456789',
        phase: 'Failed',
        deleting: false,
        containers: [{ name: 'agent', state: 'terminated', reason: 'Error', message: `oops${clearScreen}` }],
      },
      events: [{ type: 'Warning', reason: 'Failed', message: `pull ${link}`, count: 2 }],
    } as unknown as OpsResult);
    expect(output).not.toMatch(anyControl);
    expect(output).toContain(`jobKey:       build-1\\u001b[2J\\u001b[H`);
    expect(output).toContain('https://ci.example.com/\\u001b]8;;https://evil.example/\\u001b\\click');
    // Shown as JSON, whose backslashes are escaped in turn.
    expect(output).toContain('"note":"\\\\u009b31m\\\\u009dx"');
    expect(output).toContain('oops\\u001b[2J');
  });

  it('retry: the reason it had failed', () => {
    const output = render({
      action: 'retry',
      requestId: request.requestId,
      previousReason: request.reason,
    } as unknown as OpsResult);
    expect(output).not.toMatch(anyControl);
    expect(output).toContain('(it had failed: no template serves\\u001b]0;owned\\u0007)');
  });

  it('retry: says when its message could not be sent, and only then', () => {
    const result = { action: 'retry', requestId: request.requestId, status: 'queued' };
    expect(render({ ...result, messageSent: false } as unknown as OpsResult)).toContain(
      'its message could not be sent: the reaper sends it once the request is queued for reaper.staleQueuedSeconds',
    );
    expect(render({ ...result, messageSent: true } as unknown as OpsResult)).not.toContain(
      'could not be sent',
    );
  });

  it('leaves ordinary text as it was, non-ASCII included', () => {
    expect(printable('build #42 für ‘linux’ ✓')).toBe('build #42 für ‘linux’ ✓');
    expect(printable(`a\tb\nc${'\u007f'}`)).toBe('a\\u0009b\\u000ac\\u007f');
  });

  it('--json escapes DEL and C1 too, and reads back as the same value', () => {
    const value = { jobKey: `x${esc}${csi}${'\u007f'}y` };
    const text = printableJson(value);
    expect(text).not.toMatch(anyControl);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('escapes the invisible characters that reorder or hide text (bidi overrides, zero-width), in tables and in --json', () => {
    // "build-1" with a right-to-left override: a terminal would show the end of it reversed.
    const spoofed = 'build-\u202e1-dliub\u202c\u200b\u2066\ufeff\u061c\u2028';
    expect(printable(spoofed)).toBe('build-\\u202e1-dliub\\u202c\\u200b\\u2066\\ufeff\\u061c\\u2028');
    const text = printableJson({ jobKey: spoofed });
    expect(text).not.toMatch(/[\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/);
    expect(JSON.parse(text)).toEqual({ jobKey: spoofed });
  });

  it('escapes every other format character too: soft hyphen, U+180E, U+FFF9, tag characters (bug 87)', () => {
    // Each prints as nothing: `build\u00ad-1` read as build-1 in a list.
    const hidden = 'build\u00ad\u180e\ufff9\u{e0041}\u{e0001}-1';
    expect(printable(hidden)).toBe('build\\u00ad\\u180e\\ufff9\\udb40\\udc41\\udb40\\udc01-1');
    const text = printableJson({ jobKey: hidden });
    expect(text).not.toMatch(/[\p{Cf}]/u);
    expect(JSON.parse(text)).toEqual({ jobKey: hidden });
    const list = render({
      action: 'list',
      items: [
        {
          requestId: 'r1',
          source: 'generic',
          jobKey: hidden,
          status: 'queued',
          since: '2026-12-06T00:00:00Z',
        },
      ],
    } as unknown as OpsResult);
    expect(list).not.toMatch(/[\p{Cf}]/u);
    expect(list).toContain('\\ufff9\\udb40');
  });

  it("says when redrive stopped for want of time, and when the CI kept a cancelled build's agent", () => {
    const redrive = (outOfTime?: boolean) =>
      render({
        action: 'redrive',
        redriven: 3,
        dropped: 1,
        unreadable: 0,
        remaining: 7,
        ...(outOfTime ? { outOfTime } : {}),
      } as unknown as OpsResult);
    expect(redrive(true)).toMatch(/stopped for want of time: run it again for the rest/);
    expect(redrive()).not.toMatch(/want of time/);
    const cancel = (agent: string) =>
      render({
        action: 'cancel',
        requestId: 'r',
        status: 'cancelled',
        podDeleted: 'pc-1',
        agent,
        freedSlot: true,
        woken: 0,
      } as unknown as OpsResult);
    expect(cancel('kept')).toMatch(/the CI did not remove its agent \(unreachable\): remove it there/);
    expect(cancel('refused')).toMatch(/the CI did not remove its agent \(refused\)/);
    expect(cancel('forgotten')).not.toMatch(/did not remove/);
  });

  it('says a cancel is left to the attempt making its agent', () => {
    const output = render({
      action: 'cancel',
      requestId: 'r',
      status: 'ending',
      freedSlot: false,
      woken: 0,
    } as unknown as OpsResult);
    expect(output).toMatch(
      /^cancelling r: an attempt is making its agent; that agent is removed \(busy or not\)/,
    );
    expect(output).not.toMatch(/slot is free;|^cancelled/);
  });
});

describe('render: list pages', () => {
  it('an empty page that goes on says so, and how to go on', () => {
    const output = render({ action: 'list', items: [], next: 'abc' } as unknown as OpsResult);
    expect(output).toContain('(none matched among the requests this call read)');
    expect(output).toContain('more: run the same command with --cursor abc');
  });

  it('the last page, empty, says neither', () => {
    const output = render({ action: 'list', items: [] } as unknown as OpsResult);
    expect(output).not.toContain('none matched');
    expect(output).not.toContain('more:');
  });
});

describe('render: caps', () => {
  const caps = (changed: { template?: string; from?: number; to?: number }) =>
    render({
      action: 'caps',
      caps: {
        global: { cap: 10, configured: 10, used: 1 },
        templates: { global: { cap: 2, configured: 3, override: 2, used: 1, pods: 1 } },
      },
      changed,
      woken: 0,
    } as unknown as OpsResult);

  it("names the global cap apart from a template named 'global'", () => {
    expect(caps({ template: 'global', from: 3, to: 2 })).toMatch(/^global cap: 3 -> 2\n/);
    expect(caps({ from: 10, to: 10 })).toMatch(/^\(global\) cap: 10 -> 10\n/);
  });
});

describe('render: reconcile', () => {
  it('names the requests the run failed, expired or left with no template', () => {
    const output = render({
      action: 'reconcile',
      report: {
        deleted: {},
        lost: 0,
        retried: 0,
        resent: 0,
        woken: 0,
        recovered: 0,
        counterRepairs: 0,
        waiting: 0,
        errors: 0,
        expired: 2,
        unserved: 1,
      },
    } as unknown as OpsResult);
    expect(output).toContain('requests failed:  expired 2, template no longer configured 1');
  });
});
