export { ciSources, isCiSource } from './names';
export type { CiSource } from './names';
