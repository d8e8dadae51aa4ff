import type { AgentTemplate } from '../config/file-schema';
import type { RequestRecord } from '../requests/record';
import { recordedOrigins } from '../sources/recorded-origins';
import { servesOrigin } from '../templates/serves-origin';

/**
 * Why a template's `from` leaves out a recorded build, or undefined when the template may serve it.
 * The webhook judged `from` when it chose the template; provision judges it again before it takes a
 * slot or makes an agent, since the config may have changed since (a `from` added, a name given to
 * another template) and an operator can send an old request again (docs/security.md). Fails closed:
 * a build whose origin its CI cannot read from the record is left out.
 */
export function keptOutBy(template: AgentTemplate, record: RequestRecord): string | undefined {
  if (template.from === undefined) return undefined;
  const origin = recordedOrigins[record.source]?.(record.details);
  if (servesOrigin(template, origin)) return undefined;
  return `template '${template.name}' serves only builds from ${template.from.join(', ')}, and this build is from ${origin?.name ?? 'an origin its record does not name'}`;
}
