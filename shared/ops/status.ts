import { byTemplate } from '../capacity/by-template';
import { capacityLimits } from '../capacity/limits';
import { readQueueDepth, type QueueDepth } from '../queue/depth';
import { requestStatuses, type RequestStatus } from '../requests/record';
import { managedSelector, pitcrewLabels } from '../templates/labels';
import type { OpsPorts } from './ports';

export interface CapView {
  /** The cap in force. */
  readonly cap: number;
  /** The config file's value. */
  readonly configured: number;
  /** An operator's run-time override (ops `caps`), when one is set. */
  readonly override?: number;
  /** Slots taken now (the counters). */
  readonly used: number;
}

export interface StatusReport {
  readonly drained: boolean;
  readonly requests: Record<RequestStatus, number>;
  readonly caps: { readonly global: CapView; readonly templates: Record<string, CapView & { pods: number }> };
  readonly podsByPhase: Record<string, number>;
  readonly queue: QueueDepth;
  readonly deadLetterQueue: QueueDepth;
  readonly oldestWaiting?: { requestId: string; template?: string; since: string; ageSeconds: number };
}

/** The caps in force, where each comes from, and how much of each is used. */
export async function readCaps(ports: OpsPorts): Promise<StatusReport['caps']> {
  const [runtime, counters] = await Promise.all([ports.settings.get(), ports.capacity.readCounters()]);
  const limits = capacityLimits(ports.config, runtime);
  const templates: Record<string, CapView & { pods: number }> = {};
  for (const template of ports.config.templates) {
    const override = byTemplate(runtime.templateCaps, template.name);
    templates[template.name] = {
      cap: byTemplate(limits.templateCaps, template.name) ?? template.instanceCap,
      configured: template.instanceCap,
      ...(override === undefined ? {} : { override }),
      used: byTemplate(counters.templates, template.name) ?? 0,
      pods: 0,
    };
  }
  return {
    global: {
      cap: limits.globalCap,
      configured: ports.config.capacity.globalCap,
      ...(runtime.globalCap === undefined ? {} : { override: runtime.globalCap }),
      used: counters.global,
    },
    templates,
  };
}

/** ops `status`: one look at everything, read in parallel; a handful of calls, none per request. */
export async function status(ports: OpsPorts): Promise<StatusReport> {
  const [runtime, counts, caps, pods, queue, deadLetterQueue, oldest] = await Promise.all([
    ports.settings.get(),
    Promise.all(
      requestStatuses.map(async (state) => [state, await ports.queries.countByStatus(state)] as const),
    ),
    readCaps(ports),
    ports.agents.listPods(ports.config.namespace, managedSelector),
    ports.queue.depth(),
    readQueueDepth(ports.sqs, ports.dlqUrl),
    ports.requests.listByStatus('waiting', 1),
  ]);
  const podsByPhase: Record<string, number> = {};
  for (const pod of pods) {
    const phase = pod.metadata?.deletionTimestamp ? 'Terminating' : (pod.status?.phase ?? 'Unknown');
    podsByPhase[phase] = (podsByPhase[phase] ?? 0) + 1;
    const template = caps.templates[pod.metadata?.labels?.[pitcrewLabels.template] ?? ''];
    if (template) template.pods += 1;
  }
  const waiting = oldest[0];
  return {
    drained: runtime.drained,
    requests: Object.fromEntries(counts) as Record<RequestStatus, number>,
    caps,
    podsByPhase,
    queue,
    deadLetterQueue,
    ...(waiting
      ? {
          oldestWaiting: {
            requestId: waiting.requestId,
            template: waiting.template,
            since: waiting.statusSince,
            ageSeconds: Math.round((ports.now().getTime() - Date.parse(waiting.statusSince)) / 1000),
          },
        }
      : {}),
  };
}
