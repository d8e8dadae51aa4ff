/** The CI sources Pitcrew accepts webhooks from: the `{source}` of `POST /webhooks/{source}`. */
export const ciSources = ['github', 'jenkins', 'generic'] as const;
export type CiSource = (typeof ciSources)[number];

export const isCiSource = (value: unknown): value is CiSource => ciSources.includes(value as CiSource);
