/** Jenkins's API side, loaded the first time a function needs it (shared/sources/api-registry.ts says why). */
export const loadJenkinsApi = async () => (await import('./api-module')).jenkinsApiModule;
