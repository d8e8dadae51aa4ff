import { OpsInputError } from './errors';
import type { OpsEvent } from './event';

/**
 * What a destructive action would do, in a few words, or undefined when the action is not one. These
 * run only with `confirm: true` (the CLI's `--yes`): ending a build, stopping provisioning, deleting
 * running agents, moving dead letters, or stopping every new agent with a cap of 0. The rest only
 * read, or undo (resume, retry, raising or resetting a cap).
 */
export function destructiveEffect(event: OpsEvent): string | undefined {
  switch (event.action) {
    case 'cancel':
      return `cancel ends request '${event.requestId}' for good and deletes its pod`;
    case 'drain':
      return 'drain stops provisioning (new builds wait until resume)';
    case 'reconcile':
      return event.force ? 'reconcile with force deletes running agents over a lowered cap' : undefined;
    case 'redrive':
      return `redrive moves up to ${event.max} dead-letter messages back to the provision queue`;
    case 'caps':
      if (event.cap !== 0) return undefined;
      return event.template === undefined
        ? 'a global cap of 0 stops every new agent'
        : `a cap of 0 stops every new agent of template '${event.template}'`;
    default:
      return undefined;
  }
}

/** Throws an `OpsInputError` naming `confirm` when a destructive action is not confirmed. */
export function refuseUnconfirmed(event: OpsEvent): void {
  const effect = destructiveEffect(event);
  if (effect === undefined || ('confirm' in event && event.confirm === true)) return;
  throw new OpsInputError(
    'confirm',
    `is required: ${effect}. Send "confirm": true to go ahead (pitcrew: --yes); nothing was changed`,
  );
}
