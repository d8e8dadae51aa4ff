import { maxSnapshotLength, newRequestMessage, readProvisionMessage } from '../../../shared/queue/messages';
import { queuedRecord } from '../../support/records';

describe('provision messages', () => {
  it("carry a new request's record while it is small, and its id alone past the bound", () => {
    const record = queuedRecord('small', { template: 'gen' });
    expect(newRequestMessage(record)).toEqual({ requestId: 'small', snapshot: record });
    const large = queuedRecord('large', { url: `https://ci.example/${'x'.repeat(maxSnapshotLength)}` });
    expect(newRequestMessage(large)).toEqual({ requestId: 'large' });
  });

  it('read back what was sent, take keys a later version adds, and refuse anything without a request id', () => {
    const message = newRequestMessage(queuedRecord('round-trip'));
    expect(readProvisionMessage(JSON.stringify(message))).toEqual(message);
    expect(readProvisionMessage(JSON.stringify({ requestId: 'r', later: 1 }))).toEqual({ requestId: 'r' });
    for (const body of ['{}', '{"requestId":""}', '{"requestId":"r","snapshot":[]}', 'not json', undefined])
      expect(readProvisionMessage(body)).toBeUndefined();
  });
});
