import type { StatusReport } from '../../../shared/ops';
import { paint } from '../cli/table';
import { messageOf } from '../../../shared/message-of';

/** One line that says how the system is doing: pods by phase, waiting work, queues. */
export function summaryLine(status: StatusReport): string {
  const pods = Object.entries(status.podsByPhase)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([phase, count]) => `${phase} ${count}`)
    .join(', ');
  const deadLetters = status.deadLetterQueue.visible + status.deadLetterQueue.inFlight;
  return [
    `pods: ${pods || 'none'}`,
    `waiting: ${status.requests.waiting}`,
    `queue: ${status.queue.visible} ready, ${status.queue.inFlight} in flight`,
    `DLQ: ${deadLetters}`,
    status.drained ? paint(['bold', 'yellow'], 'DRAINED') : 'provisioning',
  ].join(' | ');
}

/**
 * `pitcrew dev`'s live view: reads the ops status every `intervalMs` and prints a timestamped line
 * whenever it changes, so the terminal shows work flowing without scrolling when nothing happens
 * (and reads the same in a log file as on a terminal).
 */
export function startLiveView(
  readStatus: () => Promise<StatusReport>,
  print: (line: string) => void,
  intervalMs = 2000,
): { stop(): void } {
  let last = '';
  let running = false;
  const tick = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      const line = summaryLine(await readStatus());
      if (line !== last) print(`${paint('dim', new Date().toISOString().slice(11, 19))} ${line}`);
      last = line;
    } catch (error) {
      const line = `live view: ${messageOf(error)}`;
      if (line !== last) print(line);
      last = line;
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), intervalMs);
  return { stop: () => clearInterval(timer) };
}
