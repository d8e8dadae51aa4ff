import { byTemplate } from '../capacity/by-template';
import { capacityLimits } from '../capacity/limits';
import { wakeWaiting } from '../capacity/wake';
import { OpsInputError } from './errors';
import type { OpsEvent } from './event';
import type { OpsPorts } from './ports';
import { readCaps, type StatusReport } from './status';

/**
 * ops `drain`: provisioning stops. Messages still arrive; each request becomes `waiting` (its message
 * is deleted, so nothing burns SQS receive counts), and `resume` wakes them, oldest first.
 */
export async function drain(ports: OpsPorts): Promise<{ drained: true; wasDrained: boolean }> {
  const { before } = await ports.settings.update((current) => ({ ...current, drained: true }));
  ports.logger.warn('provisioning drained by an operator', { wasDrained: before.drained });
  return { drained: true, wasDrained: before.drained };
}

/** ops `resume`: provisioning starts again, and the requests that waited are woken now. */
export async function resume(
  ports: OpsPorts,
): Promise<{ drained: false; wasDrained: boolean; woken: number }> {
  const { before, after } = await ports.settings.update((current) => ({ ...current, drained: false }));
  const woken = await wakeWaiting(ports, capacityLimits(ports.config, after));
  ports.logger.info('provisioning resumed by an operator', {
    wasDrained: before.drained,
    woken: woken.length,
  });
  return { drained: false, wasDrained: before.drained, woken: woken.length };
}

/**
 * ops `caps`: read the caps, or set one at run time (stored in the table, read by every function on
 * its next decision; no redeploy). Raising a cap wakes waiting requests now; lowering one below what
 * runs lets the reaper trim pending agents, newest first, at its next run (or `reconcile`).
 */
export async function caps(
  event: Extract<OpsEvent, { action: 'caps' }>,
  ports: OpsPorts,
): Promise<{
  caps: StatusReport['caps'];
  changed?: { template?: string; from?: number; to?: number };
  woken?: number;
}> {
  if (event.cap === undefined) {
    if (event.template !== undefined) templateNamed(event.template, ports);
    return { caps: await readCaps(ports) };
  }
  const template = event.template === undefined ? undefined : templateNamed(event.template, ports);
  const newCap = event.cap;
  if (newCap === null && event.confirm !== true) refuseUnconfirmedReset(template, ports);
  const { before, after } = await ports.settings.update((current) => {
    if (template === undefined) {
      const { globalCap: _old, ...rest } = current;
      return newCap === null ? rest : { ...rest, globalCap: newCap };
    }
    const others = Object.entries(current.templateCaps).filter(([name]) => name !== template);
    const templateCaps = Object.fromEntries(newCap === null ? others : [...others, [template, newCap]]);
    return { ...current, templateCaps };
  });
  const limitsBefore = capacityLimits(ports.config, before);
  const limitsAfter = capacityLimits(ports.config, after);
  const from =
    template === undefined ? limitsBefore.globalCap : byTemplate(limitsBefore.templateCaps, template);
  const to = template === undefined ? limitsAfter.globalCap : byTemplate(limitsAfter.templateCaps, template);
  ports.logger.warn('cap changed by an operator', { template: template ?? '(global)', from, to });
  const woken =
    to !== undefined && from !== undefined && to > from && !after.drained
      ? (await wakeWaiting(ports, limitsAfter)).length
      : 0;
  return { caps: await readCaps(ports), changed: { template, from, to }, woken };
}

/**
 * `cap: null` goes back to the config file's cap, an undo unless that cap is 0, which stops every new
 * agent as `cap: 0` does: then it too needs `confirm` (confirm.ts judges the event alone, and cannot
 * see the config).
 */
function refuseUnconfirmedReset(template: string | undefined, ports: OpsPorts): void {
  const configured =
    template === undefined
      ? ports.config.capacity.globalCap
      : ports.config.templates.find((candidate) => candidate.name === template)?.instanceCap;
  if (configured !== 0) return;
  const stops = template === undefined ? 'every new agent' : `every new agent of template '${template}'`;
  throw new OpsInputError(
    'confirm',
    `is required: the config's cap is 0, so going back to it stops ${stops}. Send "confirm": true to go ahead (pitcrew: --yes); nothing was changed`,
  );
}

function templateNamed(name: string, ports: OpsPorts): string {
  if (ports.config.templates.some((template) => template.name === name)) return name;
  const names = ports.config.templates.map((template) => template.name).join(', ');
  throw new OpsInputError('template', `'${name}' is not a configured template: use one of ${names}`);
}
