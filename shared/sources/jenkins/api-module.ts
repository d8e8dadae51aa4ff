import { defineCiApiModule } from '../define-api-module';
import { createJenkinsSource } from './adapter';
import { jenkinsModule } from './module';

/** Jenkins's API side: agents made and removed over the controller's REST API (module.ts says why apart). */
export const jenkinsApiModule = defineCiApiModule(jenkinsModule, {
  name: 'jenkins',
  createAdapter: (jenkins, secretOf) =>
    createJenkinsSource({
      url: jenkins.url,
      user: jenkins.user,
      apiToken: secretOf(jenkins.apiToken, 'sources.jenkins.apiToken'),
      pollQueue: jenkins.pollQueue,
    }),
});
