import { lifetimeMetadataFields, maxTerminationGraceSeconds } from './pod-lifetime';

/** One podYaml field that would let its pod outlive its template's bounds: its path and why. */
export interface LifetimeProblem {
  readonly field: string;
  readonly problem: string;
}

const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Unset, or set to nothing (`null`, `[]`): harmless. */
const isEmpty = (value: unknown): boolean =>
  value === undefined || value === null || (Array.isArray(value) && value.length === 0);

const whyMetadata: Record<(typeof lifetimeMetadataFields)[number], string> = {
  finalizers:
    'must not be set: a finalizer keeps the pod Terminating after it is deleted, and its credential Secret with it, until something removes the finalizer (docs/configuration.md)',
  ownerReferences:
    'must not be set: an owner would decide when the pod goes (its deletion can take the pod mid-build, or wait on it); only Pitcrew ends an agent pod (docs/configuration.md)',
};

/**
 * What a template's podYaml (`overlay`, already parsed: a mapping or null) sets that would let its
 * pod outlive `maxLifetimeSeconds` or keep it from being cleaned up. The renderer drops or caps the
 * same fields whatever the config says (pod-lifetime.ts), which a compiled config from an older
 * Pitcrew relies on; refusing them here tells whoever set one on purpose that it would not hold.
 */
export function lifetimeProblems(overlay: unknown): LifetimeProblem[] {
  if (!isMapping(overlay)) return [];
  const problems: LifetimeProblem[] = [];
  const metadata = isMapping(overlay.metadata) ? overlay.metadata : {};
  for (const field of lifetimeMetadataFields)
    if (!isEmpty(metadata[field])) problems.push({ field: `metadata.${field}`, problem: whyMetadata[field] });
  const spec = isMapping(overlay.spec) ? overlay.spec : {};
  // The API server takes only a whole number from 1: any other would refuse every pod of the template.
  const deadline = spec.activeDeadlineSeconds;
  if (deadline != null && !(typeof deadline === 'number' && Number.isInteger(deadline) && deadline >= 1))
    problems.push({
      field: 'spec.activeDeadlineSeconds',
      problem:
        'must be a whole number of seconds from 1 (the API server refuses any other, so every pod of the template would fail); set maxLifetimeSeconds instead',
    });
  const grace = spec.terminationGracePeriodSeconds;
  const bounded =
    typeof grace === 'number' && Number.isInteger(grace) && grace >= 0 && grace <= maxTerminationGraceSeconds;
  if (grace != null && !bounded)
    problems.push({
      field: 'spec.terminationGracePeriodSeconds',
      problem: `must be a whole number of seconds from 0 to ${maxTerminationGraceSeconds}: a build that traps SIGTERM runs on for that long after its pod is deleted or reaches maxLifetimeSeconds (docs/configuration.md)`,
    });
  return problems;
}
