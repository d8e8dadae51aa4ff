/** Labels and annotations that mark Pitcrew's objects; the reaper selects on `managedBy`. */
export const pitcrewLabels = {
  managedBy: 'app.kubernetes.io/managed-by',
  requestId: 'pitcrew.dev/request-id',
  template: 'pitcrew.dev/template',
  source: 'pitcrew.dev/source',
} as const;

export const managedByValue = 'pitcrew';
export const managedSelector = `${pitcrewLabels.managedBy}=${managedByValue}`;
