import { DeleteMessageCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { readQueueDepth } from '../queue/depth';
import { QueueUnavailableError } from '../queue/errors';
import { readProvisionMessage } from '../queue/messages';
import { messageOf } from '../message-of';
import { isTerminal } from '../requests/record';
import type { OpsPorts } from './ports';
import { requeueFailed } from './requests';

export interface RedriveReport {
  /** Sent back to the provision queue (their failed requests queued again). */
  readonly redriven: number;
  /**
   * Not queued again: their request ended meanwhile (completed or cancelled), failed and its build
   * has since ended at the CI (`ciEnded`), or is gone.
   */
  readonly dropped: number;
  /** Not a Pitcrew message: left in the dead-letter queue for a person to look at. */
  readonly unreadable: number;
  /** Still in the dead-letter queue afterwards (approximate, as SQS counts; absent if SQS could not say). */
  readonly remaining?: number;
  /** True when it stopped before `max` for want of time: run it again for the rest. */
  readonly outOfTime?: boolean;
  /**
   * Why it stopped early, when a message could not be handled (SQS or DynamoDB failing for now): the
   * counts above are what was done before; that message shows in the dead-letter queue again after
   * 60 s, so running it again takes up where it stopped.
   */
  readonly stoppedBy?: string;
}

/**
 * Stop taking messages with less than this left of the invocation: a batch of ten (each a read, a
 * write, a send and a delete) and the answer fit in it with room to spare.
 */
export const redriveReserveMs = 20_000;

// Long enough to handle one received batch; a message left unhandled shows again after it.
const receiveVisibilitySeconds = 60;
// A receive that waits this long for a message: a short poll (0) asks only some of SQS's servers, and
// may answer none while the queue holds some, which would end the redrive with work left.
const receiveWaitSeconds = 1;

/**
 * ops `redrive`: moves up to `max` messages from the dead-letter queue back to the provision queue.
 * Written by hand rather than with SQS's StartMessageMoveTask because each request's record must be
 * put back to `queued` too (it failed on the message's last delivery), and a request that has ended
 * meanwhile must not be provisioned again. Send first, then delete: a crash in between at worst
 * leaves a duplicate message, which provisioning treats as a no-op.
 */
export async function redrive(max: number, ports: OpsPorts): Promise<RedriveReport> {
  let redriven = 0;
  let dropped = 0;
  let unreadable = 0;
  const seen = new Set<string>();
  let outOfTime = false;
  let stoppedBy: string | undefined;
  // A failure stops the redrive but not its answer: what was done before it is counted and logged.
  try {
    while (redriven + dropped + unreadable < max) {
      if ((ports.remainingMs?.() ?? Infinity) < redriveReserveMs) {
        outOfTime = true;
        break;
      }
      const batch = await receive(ports, Math.min(10, max - redriven - dropped - unreadable));
      const fresh = batch.filter((message) => !seen.has(message.MessageId ?? ''));
      if (fresh.length === 0) break;
      for (const message of fresh) {
        seen.add(message.MessageId ?? '');
        const outcome = await redriveOne(message, ports);
        if (outcome === 'redriven') redriven += 1;
        else if (outcome === 'dropped') dropped += 1;
        else unreadable += 1;
      }
      ports.logger.info('dead-letter queue batch redriven', { redriven, dropped, unreadable });
    }
  } catch (error) {
    stoppedBy = messageOf(error);
    ports.logger.error('redrive stopped; run it again for the rest', {
      redriven,
      dropped,
      unreadable,
      stoppedBy,
    });
  }
  const remaining = await readQueueDepth(ports.sqs, ports.dlqUrl).then(
    (depth) => depth.visible,
    // Unknown: the answer still says what was done.
    () => undefined,
  );
  ports.logger.info('dead-letter queue redriven', { redriven, dropped, unreadable, remaining, outOfTime });
  return {
    redriven,
    dropped,
    unreadable,
    ...(remaining === undefined ? {} : { remaining }),
    ...(outOfTime ? { outOfTime } : {}),
    ...(stoppedBy === undefined ? {} : { stoppedBy }),
  };
}

async function redriveOne(message: Message, ports: OpsPorts): Promise<'redriven' | 'dropped' | 'unreadable'> {
  const parsed = readProvisionMessage(message.Body);
  if (!parsed) return 'unreadable';
  // A left agent's message (bug 71) carries no build: it goes back as it is, its request untouched.
  if (parsed.agent) {
    await ports.queue.send(parsed);
    await remove(message, ports);
    return 'redriven';
  }
  const record = await ports.requests.get(parsed.requestId);
  const ended = !record || (isTerminal(record.status) && (record.status !== 'failed' || !!record.ciEnded));
  // A failed request the write cannot queue again (the CI ended its build, or an operator's retry
  // queued it, since the read) is the ended case below: its own retry sent its message.
  const requeued =
    !ended &&
    (record.status !== 'failed' ||
      (await requeueFailed(record, 'redriven from the dead-letter queue', ports)));
  if (requeued) {
    await ports.queue.send(parsed);
    await remove(message, ports);
    return 'redriven';
  }
  // Its build is over, but an agent an attempt registered may be left at the CI (the CI was likely
  // down when the attempt gave up): the message goes on, without queueing the request, and
  // provision removes such an agent of an ended request (removeUnusedAgent).
  if (record?.podName) await ports.queue.send({ requestId: record.requestId });
  await remove(message, ports);
  return 'dropped';
}

async function receive(ports: OpsPorts, count: number): Promise<Message[]> {
  try {
    const { Messages = [] } = await ports.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: ports.dlqUrl,
        MaxNumberOfMessages: count,
        WaitTimeSeconds: receiveWaitSeconds,
        VisibilityTimeout: receiveVisibilitySeconds,
      }),
    );
    return Messages;
  } catch (error) {
    throw new QueueUnavailableError('ReceiveMessage (dead-letter queue)', { cause: error });
  }
}

async function remove(message: Message, ports: OpsPorts): Promise<void> {
  try {
    await ports.sqs.send(
      new DeleteMessageCommand({ QueueUrl: ports.dlqUrl, ReceiptHandle: message.ReceiptHandle }),
    );
  } catch (error) {
    throw new QueueUnavailableError('DeleteMessage (dead-letter queue)', { cause: error });
  }
}
