import type { RequestRecord } from '../../shared/requests';

/** A queued generic request record, as the webhook writes it; override any field. */
export function queuedRecord(requestId: string, overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    requestId,
    source: 'generic',
    jobKey: `job-${requestId}`,
    status: 'queued',
    statusSince: '2026-11-25T06:00:00.000Z',
    createdAt: '2026-11-25T06:00:00.000Z',
    labels: ['linux'],
    details: { source: 'generic' },
    holdsSlot: false,
    attempts: 0,
    retriesUsed: 0,
    ...overrides,
  };
}
