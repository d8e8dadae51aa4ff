import { createMemoryProvisionQueue, QueueUnavailableError } from '../../../shared/queue';
import { describeProvisionQueueContract } from '../../contracts/provision-queue';

describeProvisionQueueContract('in memory', () => {
  const queue = createMemoryProvisionQueue();
  const unavailable = createMemoryProvisionQueue();
  unavailable.setUnavailable(true);
  return Promise.resolve({
    queue,
    unavailable,
    bodies: () => Promise.resolve(queue.sent.map((message) => JSON.stringify(message))),
  });
});

describe('in-memory provision queue', () => {
  it('records what was sent, in order, as copies', async () => {
    const queue = createMemoryProvisionQueue();
    const message = { requestId: 'a' };
    await queue.send(message);
    await queue.send({ requestId: 'b' });
    message.requestId = 'changed';
    expect(queue.sentIds()).toEqual(['a', 'b']);
    queue.clear();
    expect(queue.sent).toEqual([]);
  });

  it('fails the next N sends when told to, recording none of them, then works again', async () => {
    const queue = createMemoryProvisionQueue();
    queue.failNextSends(2);
    await expect(queue.send({ requestId: 'a' })).rejects.toBeInstanceOf(QueueUnavailableError);
    await expect(queue.send({ requestId: 'b' })).rejects.toBeInstanceOf(QueueUnavailableError);
    await queue.send({ requestId: 'c' });
    expect(queue.sentIds()).toEqual(['c']);
    expect(await queue.depth()).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
  });

  it('fails every call while unavailable, and works again after', async () => {
    const queue = createMemoryProvisionQueue();
    queue.setUnavailable(true);
    await expect(queue.send({ requestId: 'a' })).rejects.toThrow(/SQS SendMessage failed/);
    await expect(queue.depth()).rejects.toBeInstanceOf(QueueUnavailableError);
    queue.setUnavailable(false);
    await queue.send({ requestId: 'b' });
    expect(queue.sentIds()).toEqual(['b']);
  });
});
