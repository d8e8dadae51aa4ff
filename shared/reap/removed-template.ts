import { templateDefaults } from '../config/template-defaults';
import type { TemplateRules } from './decide';
import type { PodView } from './pod-view';

/**
 * The rules for the pod of an active request whose template the config no longer has (removed or
 * renamed, or its CI's section removed with it, since the build was recorded). Decided as an orphan,
 * its running build would be cut short: a generic or Buildkite agent has no busy check, and an
 * unconfigured CI cannot be asked. So it is decided as its template's pods are, by the built-in
 * timings and the lifetime the pod was made with; with no retry, as nothing can make its agent again.
 */
export const removedTemplateRules = (pod: PodView): TemplateRules => ({
  pendingTimeoutSeconds: templateDefaults.pendingTimeoutSeconds,
  idleMinutes: templateDefaults.idleMinutes,
  maxLifetimeSeconds: pod.lifetimeSeconds ?? templateDefaults.maxLifetimeSeconds,
  retries: 0,
  retention: { policy: 'never', minutes: 0 },
});
