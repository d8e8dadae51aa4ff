import { ciModules } from './registry';

/** The tuple of the modules' names (a mapped type over a type parameter keeps a tuple a tuple). */
type NamesOf<Modules extends readonly { readonly name: string }[]> = {
  readonly [Index in keyof Modules]: Modules[Index]['name'];
};

/**
 * The CI sources Pitcrew accepts webhooks from: the `{source}` of `POST /webhooks/{source}`, one per
 * module in registry.ts, in its order.
 */
export const ciSources = ciModules.map((module) => module.name) as unknown as NamesOf<typeof ciModules>;
export type CiSource = (typeof ciSources)[number];

export const isCiSource = (value: unknown): value is CiSource => ciSources.includes(value as CiSource);
