import {
  laterReleaseMessage,
  maxSnapshotLength,
  newRequestMessage,
  readProvisionMessage,
} from '../../../shared/queue/messages';
import { queuedRecord } from '../../support/records';

describe('provision messages', () => {
  it("carry a new request's record while it is small, and its id alone past the bound", () => {
    const record = queuedRecord('small', { template: 'gen' });
    expect(newRequestMessage(record)).toEqual({ requestId: 'small', snapshot: record });
    const large = queuedRecord('large', { url: `https://ci.example/${'x'.repeat(maxSnapshotLength)}` });
    expect(newRequestMessage(large)).toEqual({ requestId: 'large' });
  });

  it('read back what was sent, and refuse anything else: a key or value this release does not know too', () => {
    const message = newRequestMessage(queuedRecord('round-trip'));
    expect(readProvisionMessage(JSON.stringify(message))).toEqual(message);
    const leftAgent = { requestId: 'r', agent: 'pc-gen-r-2' };
    expect(readProvisionMessage(JSON.stringify(leftAgent))).toEqual(leftAgent);
    for (const body of [
      '{}',
      '{"requestId":""}',
      '{"requestId":"r","snapshot":[]}',
      '{"requestId":"r","later":1}',
      '{"requestId":"r","retireAgentsOf":"teamcity"}',
      'not json',
      undefined,
    ])
      expect(readProvisionMessage(body)).toBeUndefined();
  });

  it("tell a later release's message (it names a request) from one that is not ours", () => {
    for (const body of ['{"requestId":"r","later":1}', '{"requestId":"r","retireAgentsOf":"teamcity"}'])
      expect(laterReleaseMessage(body)).toBe('r');
    for (const body of ['{}', '{"requestId":""}', '{"requestId":7}', 'null', '[]', 'not json', undefined])
      expect(laterReleaseMessage(body)).toBeUndefined();
  });
});
