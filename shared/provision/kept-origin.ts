import type { AgentTemplate, PitcrewConfig } from '../config/file-schema';
import type { RequestRecord } from '../requests/record';
import { recordedOrigins } from '../sources/recorded-origins';
import { servesOrigin } from '../templates/serves-origin';

/**
 * Why a recorded build may not get an agent of its template, or undefined when it may: its origin
 * must still be on its source's allow-list (`sources.github.repositories`, `gitlab.projects`,
 * `buildkite.pipelines`), and the template's `from` must cover it. The webhook judged both when it
 * recorded the build; provision judges them again before it takes a slot or makes an agent, since
 * the config may have changed since (a repository taken off the list, a `from` added, a name given
 * to another template) and an operator can send an old request again (docs/security.md). Fails
 * closed: a build whose origin its CI cannot read from the record, or whose source is no longer
 * configured, is left out.
 */
export function keptOutBy(
  template: AgentTemplate,
  record: RequestRecord,
  sources: PitcrewConfig['sources'],
): string | undefined {
  const recorded = recordedOrigins[record.source];
  const origin = recorded?.of(record.details);
  const settings = sources[record.source];
  if (recorded && !settings) return `sources.${record.source} is no longer configured`;
  const allowList = recorded && settings ? recorded.allowList(settings as never) : undefined;
  if (allowList && !(origin && allowList.patterns.some((pattern) => origin.matches(pattern))))
    return `${origin?.name ?? 'a build whose record names no origin'} is not among sources.${record.source}.${allowList.key}`;
  if (template.from === undefined) return undefined;
  if (servesOrigin(template, origin)) return undefined;
  return `template '${template.name}' serves only builds from ${template.from.join(', ')}, and this build is from ${origin?.name ?? 'an origin its record does not name'}`;
}
