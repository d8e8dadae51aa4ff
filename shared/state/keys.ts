import type { CounterName } from '../ports/capacity-store';

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

/** A counter's item key. Apart from `keys`: an object's members all ship wherever it does. */
export const counterKey = (name: CounterName): { pk: string; sk: string } =>
  name === 'global' ? keys.globalCounter() : keys.templateCounter(name.template);

/** Which counter a `capacity` item's sort key names, if it names one. */
export const counterNameOf = (sk: unknown): CounterName | undefined =>
  sk === 'global'
    ? 'global'
    : typeof sk === 'string' && sk.startsWith('template#')
      ? { template: sk.slice('template#'.length) }
      : undefined;
