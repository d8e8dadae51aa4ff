/** Item keys of the one table (docs/state.md lists every item and access pattern). */
export const keys = {
  request: (requestId: string) => ({ pk: `request#${requestId}`, sk: 'request' }),
  delivery: (source: string, deliveryId: string) => ({
    pk: `delivery#${source}#${deliveryId}`,
    sk: 'delivery',
  }),
  globalCounter: () => ({ pk: 'capacity', sk: 'global' }),
  templateCounter: (template: string) => ({ pk: 'capacity', sk: `template#${template}` }),
  settings: () => ({ pk: 'settings', sk: 'runtime' }),
  lease: (name: string) => ({ pk: 'lease', sk: name }),
} as const;
