/**
 * ops `redrive` (shared/ops/redrive.ts), a long action, shows what it did (bug 68, a review of the ops
 * actions):
 *
 * - A failure on one message (a send to the provision queue, a table read) threw away the count of
 *   every message already moved: the operator was told nothing was done, while the builds before it
 *   were queued again and their dead letters deleted. It now stops and answers what it did.
 * - It received with `WaitTimeSeconds: 0` (short polling) and stopped at the first empty receive.
 *   Short polling samples some of SQS's servers and may answer empty while the queue holds messages
 *   (AWS: "If the number of messages in the queue is extremely small, you might not receive any
 *   messages in a particular ReceiveMessage response"); a long poll asks them all.
 */
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { runOpsAction, type OpsPorts } from '../../../shared/ops';
import { provisionRequest } from '../../../shared/provision';
import { createTwins, queuedBuild, type Twins } from './twins';

async function failedBuild(twins: Twins, jobId: string): Promise<string> {
  const requestId = await queuedBuild(twins, jobId);
  twins.agents.failNext(1, 503);
  await expect(provisionRequest(requestId, twins.provision, true)).rejects.toThrow();
  twins.queue.clear();
  return requestId;
}

function deadLetterQueue(twins: Twins, batches: { requestId: string }[][], visibleAfter = 0) {
  const sqs = new SQSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
  });
  const mock = mockClient(sqs);
  let receive = mock.on(ReceiveMessageCommand);
  let n = 0;
  for (const batch of batches)
    receive = receive.resolvesOnce({
      Messages: batch.map((body) => ({
        MessageId: `m${++n}`,
        ReceiptHandle: `r${n}`,
        Body: JSON.stringify(body),
      })),
    });
  receive.resolves({ Messages: [] });
  mock.on(DeleteMessageCommand).resolves({});
  mock
    .on(GetQueueAttributesCommand)
    .resolves({ Attributes: { ApproximateNumberOfMessages: String(visibleAfter) } });
  const ops: OpsPorts = { ...twins.ops, sqs };
  return { ops, mock };
}

describe('ops redrive shows what it did', () => {
  let twins: Twins;
  beforeEach(() => {
    twins = createTwins();
  });

  it('answers the messages it moved when one of them then fails, rather than failing as if it did nothing', async () => {
    const [a, b, c] = [
      await failedBuild(twins, 'd-1'),
      await failedBuild(twins, 'd-2'),
      await failedBuild(twins, 'd-3'),
    ];
    const { ops, mock } = deadLetterQueue(twins, [[{ requestId: a }, { requestId: b }, { requestId: c }]]);
    // The provision queue fails the third send (SQS throttling, say).
    let sends = 0;
    const flaky: OpsPorts = {
      ...ops,
      queue: {
        ...ops.queue,
        send: async (message, options) => {
          if (++sends === 3) throw new Error('SQS SendMessage: throttled');
          return ops.queue.send(message, options);
        },
      },
    };

    const outcome = await runOpsAction({ action: 'redrive', confirm: true }, flaky).then(
      (answer) => ({ answer }),
      (error: unknown) => ({ error }),
    );
    // Two builds were queued again and their dead letters deleted:
    expect(await twins.state.requests.get(a)).toMatchObject({ status: 'queued' });
    expect(await twins.state.requests.get(b)).toMatchObject({ status: 'queued' });
    expect(mock.commandCalls(DeleteMessageCommand)).toHaveLength(2);
    // ...and the operator is told so, and why it stopped.
    expect(outcome).toMatchObject({
      answer: { redriven: 2, stoppedBy: expect.stringContaining('throttled') },
    });
    // The third build was queued again, but its dead letter stays (not deleted): the next redrive,
    // or the reaper's stale rule, sends its message.
    expect(await twins.state.requests.get(c)).toMatchObject({ status: 'queued' });
  });

  it("receives with a long poll, which asks all of SQS's servers, so an empty answer means an empty queue", async () => {
    const requestId = await failedBuild(twins, 'd-1');
    const { ops, mock } = deadLetterQueue(twins, [[{ requestId }]]);
    expect(await runOpsAction({ action: 'redrive', confirm: true }, ops)).toMatchObject({ redriven: 1 });
    const receives = mock.commandCalls(ReceiveMessageCommand);
    expect(receives.length).toBeGreaterThan(0);
    for (const call of receives) expect(call.args[0].input.WaitTimeSeconds).toBeGreaterThanOrEqual(1);
  });

  it("sends a left agent's message back as it is, without queueing its failed request again (bug 71)", async () => {
    const requestId = await failedBuild(twins, 'd-1');
    const agent = 'pc-gen-0123456789';
    const { ops } = deadLetterQueue(twins, [[{ requestId, agent } as { requestId: string }]]);
    expect(await runOpsAction({ action: 'redrive', confirm: true }, ops)).toMatchObject({ redriven: 1 });
    expect(await twins.state.requests.get(requestId)).toMatchObject({ status: 'failed' });
    expect(twins.queue.whole).toEqual([{ requestId, agent }]);
  });
});
