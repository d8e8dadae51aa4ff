import type { ProvisionQueue } from '../../shared/ports/provision-queue';
import { QueueUnavailableError } from '../../shared/queue/errors';
import { readProvisionMessage } from '../../shared/queue/messages';

/**
 * What the provision queue's contract suite gets from the side it runs on (ElasticMQ in the
 * integration project, the in-memory twin in the unit project): a queue on a fresh, empty queue, one
 * that cannot be reached, and a raw read of the message bodies that reached the queue.
 */
export interface ProvisionQueueSubject {
  readonly queue: ProvisionQueue;
  readonly unavailable: ProvisionQueue;
  /** The bodies of the messages on the queue (at least `expected` of them, if they arrive), as sent. */
  readonly bodies: (expected: number) => Promise<string[]>;
  readonly dispose?: () => Promise<void>;
}

/**
 * The provision queue's contract (shared/ports/provision-queue.ts), run against every adapter: SQS on
 * ElasticMQ (test/integration/queue) and the in-memory twin (test/unit/queue).
 */
export function describeProvisionQueueContract(
  name: string,
  make: () => Promise<ProvisionQueueSubject>,
): void {
  describe(`ProvisionQueue contract: ${name}`, () => {
    let subject: ProvisionQueueSubject | undefined;
    beforeEach(async () => {
      subject = await make();
    });
    afterEach(async () => {
      await subject?.dispose?.();
      subject = undefined;
    });
    const current = (): ProvisionQueueSubject => {
      if (!subject) throw new Error('the contract subject exists only inside a test');
      return subject;
    };

    it('sends a message carrying the request id only, as the provision function reads it', async () => {
      const { queue, bodies } = current();
      await expect(queue.send({ requestId: 'r-1' })).resolves.toBeUndefined();
      const [body, ...more] = await bodies(1);
      expect(more).toEqual([]);
      expect(JSON.parse(body ?? '')).toEqual({ requestId: 'r-1' });
      expect(readProvisionMessage(body)).toEqual({ requestId: 'r-1' });
    });

    it('sends every message it is given, each once', async () => {
      const { queue, bodies } = current();
      const ids = ['a', 'b', 'c', 'd', 'e'];
      await Promise.all(ids.map((requestId) => queue.send({ requestId })));
      const received = (await bodies(ids.length)).map((body) => readProvisionMessage(body)?.requestId);
      expect(received.sort()).toEqual(ids);
    });

    it('reads an empty queue as empty, and sent messages as visible', async () => {
      const { queue } = current();
      expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      await queue.send({ requestId: 'r-1' });
      await queue.send({ requestId: 'r-2' });
      expect(await queue.depth()).toEqual({ visible: 2, inFlight: 0, delayed: 0 });
    });

    it('holds a message sent with a delay back: counted as delayed, not visible', async () => {
      const { queue } = current();
      await queue.send({ requestId: 'later' }, { delaySeconds: 60 });
      await queue.send({ requestId: 'now' });
      expect(await queue.depth()).toEqual({ visible: 1, inFlight: 0, delayed: 1 });
    });

    it('throws QueueUnavailableError when the queue cannot be reached', async () => {
      const { unavailable } = current();
      await expect(unavailable.send({ requestId: 'r-1' })).rejects.toBeInstanceOf(QueueUnavailableError);
      await expect(unavailable.depth()).rejects.toBeInstanceOf(QueueUnavailableError);
    });
  });
}
