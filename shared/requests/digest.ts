import { createHash } from 'node:crypto';

/**
 * The fields of a request that never change once it is created: what a provision message's snapshot
 * of a new request may stand in for, without a read (shared/provision/steps/snapshot-start.ts).
 */
const unchangingFields = [
  'requestId',
  'source',
  'jobKey',
  'createdAt',
  'template',
  'labels',
  'details',
  'url',
] as const;

/**
 * JSON with every object's keys sorted, so one value always has one text whatever order its keys
 * were built or parsed in; undefined fields are left out, as JSON.stringify leaves them. Written here
 * (a dozen lines) rather than taken from a library: both the webhook and provision bundle it, and
 * their sizes are held to a bound (test/integration/infra/bundles.test.ts).
 */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A digest of a request's unchanging fields (SHA-256, hex). The store writes it on the record it
 * creates; provision's reservation from a message's snapshot requires the record's digest to equal
 * the snapshot's, so a snapshot that is not the record's own (altered, or of another request) takes
 * nothing, and the build goes the way of a message without one (a read first).
 */
export function requestDigest(record: Readonly<Record<string, unknown>>): string {
  const fields = Object.fromEntries(unchangingFields.map((field) => [field, record[field]]));
  return createHash('sha256').update(canonicalJson(fields)).digest('hex');
}
