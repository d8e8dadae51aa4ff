import { printable, printableJson } from '../../../infra/local/cli/printable';
import { render } from '../../../infra/local/cli/render';
import type { OpsResult } from '../../../shared/ops';

/**
 * Review finding: the CLI escapes only a hand-picked list of invisible format characters (U+061C,
 * U+200B-F, U+2028-E, U+2060-9, U+FEFF), so others of Unicode's format category (Cf) reach the
 * operator's terminal as they are: the soft hyphen U+00AD, U+180E, the interlinear annotation
 * marks U+FFF9-B and the tag characters U+E0000-E007F ("ASCII smuggling") print as nothing, so a job
 * key a delivery wrote can read as another's in `pitcrew list` / `describe` (printable.ts promises
 * each such character is shown as its escape).
 */
const invisible = ['\u00ad', '\u180e', '\ufff9', '\u{e0041}', '\u{e0001}'];
const formatOrControl = /[\p{Cc}\p{Cf}]/u;

describe('review: invisible characters in what the CLI prints', () => {
  it.each(invisible.map((char) => [char.codePointAt(0)!.toString(16), char]))(
    'printable shows U+%s as an escape, not as nothing',
    (_code, char) => {
      const shown = printable(`build${char}-1`);
      expect(shown).not.toMatch(formatOrControl);
      expect(shown).not.toBe('build-1'.replace('-', `${char}-`));
    },
  );

  it('--json escapes every format character too', () => {
    expect(printableJson({ jobKey: `build${invisible.join('')}-1` })).not.toMatch(formatOrControl);
  });

  it('pitcrew list never shows a job key that reads the same as another build-1', () => {
    const item = (jobKey: string) => ({
      requestId: `generic-${jobKey.length}`,
      source: 'generic',
      jobKey,
      status: 'queued',
      since: new Date().toISOString(),
      createdAt: new Date().toISOString(),
    });
    const text = render({
      action: 'list',
      items: [item('build-1'), item('build\u00ad-1')],
    } as unknown as OpsResult);
    expect(text).not.toMatch(formatOrControl);
  });
});
