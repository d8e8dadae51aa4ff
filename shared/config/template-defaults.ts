/**
 * A template's timings and retries when the config leaves them out: the config schema fills them in
 * (file-schema.ts), and the reaper decides by them a pod whose template the config no longer has
 * (shared/reap/removed-template.ts). A module of its own, so that the reaper reads them without the
 * schema.
 */
export const templateDefaults = {
  pendingTimeoutSeconds: 300,
  idleMinutes: 10,
  maxLifetimeSeconds: 4 * 3600,
  retries: 1,
} as const;
