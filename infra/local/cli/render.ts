import type { OpsResult, RedriveReport, RequestSummary, StatusReport } from '../../../shared/ops';
import type { ReapReport } from '../../../shared/reap';
import { printableValue } from './printable';
import { age, paint, table } from './table';

/**
 * How each action's answer reads for a person; `--json` prints the answer itself instead. Every
 * string of the answer is made printable first (./printable.ts): job keys, URLs and reasons come
 * from deliveries and CIs, and must not reach the terminal as control sequences.
 */
export function render(answer: OpsResult): string {
  const result = printableValue(answer);
  switch (result.action) {
    case 'status':
      return renderStatus(result as unknown as StatusReport);
    case 'list':
      return renderList(result as unknown as { items: RequestSummary[]; next?: string });
    case 'describe':
      return renderDescribe(result as unknown as Describe);
    case 'caps':
      return renderCaps(result as unknown as Pick<StatusReport, 'caps'> & CapsChange);
    case 'reconcile':
      return renderReconcile((result as unknown as { report: ReapReport }).report);
    case 'redrive': {
      const report = result as unknown as RedriveReport;
      return `redriven ${report.redriven}, dropped ${report.dropped} (their builds had ended), unreadable ${report.unreadable}; ${report.remaining} left in the dead-letter queue${report.outOfTime ? ' (stopped for want of time: run it again for the rest)' : ''}`;
    }
    case 'drain':
      return `${paint(['bold', 'yellow'], 'drained')}: no new agent pods; queued builds wait (resume with \`pitcrew resume\`)${result.wasDrained ? ' (it already was)' : ''}`;
    case 'resume':
      return `${paint(['bold', 'green'], 'resumed')}: provisioning runs again; ${String(result.woken)} waiting request(s) woken`;
    case 'cancel':
      if (result.status === 'ending')
        return `cancelling ${String(result.requestId)}: an attempt is making its agent; that agent is removed (busy or not), then the request is cancelled and its slot free (the reaper does this if the attempt dies)`;
      return `cancelled ${String(result.requestId)}${result.podDeleted ? `; pod ${String(result.podDeleted)} deleted` : ''}${result.freedSlot ? '; its slot is free' : ''}${result.agent === 'kept' || result.agent === 'refused' ? `; the CI did not remove its agent (${result.agent === 'kept' ? 'unreachable' : 'refused'}): remove it there` : ''}`;
    case 'retry':
      return `${String(result.requestId)} is queued again${result.previousReason ? ` (it had failed: ${String(result.previousReason)})` : ''}${result.messageSent === false ? '; its message could not be sent: the reaper sends it once the request is queued for reaper.staleQueuedSeconds (15 min by default)' : ''}`;
  }
}

function renderStatus(status: StatusReport): string {
  const lines: string[] = [];
  lines.push(
    `provisioning: ${status.drained ? paint(['bold', 'yellow'], 'DRAINED (pitcrew resume to start again)') : paint('green', 'running')}`,
  );
  const requests = Object.entries(status.requests)
    .filter(([, count]) => count > 0)
    .map(([state, count]) => `${state} ${count}`);
  lines.push(`requests:     ${requests.join(', ') || 'none'}`);
  const pods = Object.entries(status.podsByPhase).map(([phase, count]) => `${phase} ${count}`);
  lines.push(`agent pods:   ${pods.join(', ') || 'none'}`);
  lines.push(
    `queue:        ${status.queue.visible} ready, ${status.queue.inFlight} in flight, ${status.queue.delayed} delayed`,
  );
  const dlq = status.deadLetterQueue.visible + status.deadLetterQueue.inFlight;
  lines.push(`dead letters: ${dlq > 0 ? paint(['bold', 'red'], `${dlq} (see pitcrew redrive)`) : '0'}`);
  if (status.oldestWaiting)
    lines.push(
      `oldest wait:  ${status.oldestWaiting.requestId} (${status.oldestWaiting.template ?? '-'}) for ${age(status.oldestWaiting.since)}`,
    );
  lines.push('', renderCaps({ caps: status.caps }));
  return lines.join('\n');
}

interface CapsChange {
  changed?: { template?: string; from?: number; to?: number };
  woken?: number;
}

function renderCaps(result: Pick<StatusReport, 'caps'> & CapsChange): string {
  const cell = (cap: { cap: number; override?: number }): string =>
    cap.override === undefined ? String(cap.cap) : `${cap.cap}*`;
  const rows = [
    [
      '(global)',
      cell(result.caps.global),
      String(result.caps.global.configured),
      String(result.caps.global.used),
      '-',
    ],
    ...Object.entries(result.caps.templates).map(([name, cap]) => [
      name,
      cell(cap),
      String(cap.configured),
      String(cap.used),
      String(cap.pods),
    ]),
  ];
  const lines = [table(['TEMPLATE', 'CAP', 'CONFIGURED', 'USED', 'PODS'], rows)];
  if (rows.some((row) => row[1]?.endsWith('*')))
    lines.push(
      paint(
        'dim',
        '* set at run time (pitcrew caps <template> default, or pitcrew caps --global default, to undo)',
      ),
    );
  if (result.changed)
    lines.unshift(
      `${result.changed.template ?? '(global)'} cap: ${result.changed.from ?? '-'} -> ${result.changed.to ?? '-'}${result.woken ? `; ${result.woken} waiting request(s) woken` : ''}\n`,
    );
  return lines.join('\n');
}

function renderList(page: { items: RequestSummary[]; next?: string }): string {
  const rows = page.items.map((item) => [
    item.requestId,
    item.status,
    item.template ?? '-',
    item.source,
    item.jobKey.length > 40 ? `…${item.jobKey.slice(-39)}` : item.jobKey,
    age(item.since),
    item.reason ?? '',
  ]);
  const lines = [table(['REQUEST', 'STATUS', 'TEMPLATE', 'SOURCE', 'JOB', 'FOR', 'REASON'], rows)];
  // A call reads a bounded number of requests: with filters, that may be none of the ones asked for.
  if (page.items.length === 0 && page.next) lines.push('(none matched among the requests this call read)');
  // The same command again, its filters and target included: the cursor goes on where this page ended.
  if (page.next) lines.push('', `more: run the same command with --cursor ${page.next}`);
  return lines.join('\n');
}

interface Describe {
  request: Record<string, unknown>;
  pod?: {
    name: string;
    phase: string;
    node?: string;
    deleting: boolean;
    containers: { name: string; state: string; reason?: string; message?: string; exitCode?: number }[];
  };
  events: { type?: string; reason?: string; message?: string; count?: number; lastSeen?: string }[];
}

function renderDescribe(result: Describe): string {
  const lines = Object.entries(result.request)
    .filter(([, value]) => value !== undefined)
    .map(
      ([key, value]) =>
        `${`${key}:`.padEnd(14)}${typeof value === 'object' ? JSON.stringify(value) : String(value)}`,
    );
  if (result.pod) {
    lines.push(
      '',
      `pod ${result.pod.name}: ${result.pod.phase}${result.pod.deleting ? ' (being deleted)' : ''} on ${result.pod.node ?? '(no node yet)'}`,
    );
    for (const container of result.pod.containers)
      lines.push(
        `  ${container.name}: ${container.state}${container.reason ? ` ${container.reason}` : ''}${container.exitCode !== undefined ? ` exit ${container.exitCode}` : ''}${container.message ? ` - ${container.message}` : ''}`,
      );
  } else if (result.request.podName) {
    lines.push('', `pod ${String(result.request.podName)}: gone`);
  }
  if (result.events.length > 0) {
    lines.push(
      '',
      table(
        ['TYPE', 'REASON', 'COUNT', 'MESSAGE'],
        result.events.map((event) => [
          event.type ?? '',
          event.reason ?? '',
          String(event.count ?? 1),
          event.message ?? '',
        ]),
      ),
    );
  }
  return lines.join('\n');
}

function renderReconcile(report: ReapReport): string {
  if (report.skipped) return `skipped: ${report.skipped}`;
  const deleted = Object.entries(report.deleted).map(([reason, count]) => `${reason} ${count}`);
  return [
    `pods deleted:     ${deleted.join(', ') || 'none'}`,
    `requests lost:    ${report.lost} (retried ${report.retried})`,
    `requests failed:  expired ${report.expired}, template no longer configured ${report.unserved}`,
    `re-sent:          ${report.resent}, woken ${report.woken}, recovered from the CI ${report.recovered}`,
    `counters repaired ${report.counterRepairs}; ${report.waiting} waiting; errors ${report.errors}`,
    ...(report.stopped ? [`stopped early: ${report.stopped} (the next run does the rest)`] : []),
  ].join('\n');
}
