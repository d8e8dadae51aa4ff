import { lazyAdapter } from '../lazy-adapter';
import { defineCiApiModule } from '../module';
import { jenkinsAdapterCalls, parseJenkinsAdapterOptions } from './adapter-settings';
import { jenkinsModule } from './module';

/**
 * Jenkins's API side: agents made and removed over the controller's REST API (module.ts says why
 * apart). The settings are checked here, at cold start; the adapter's code loads on its first call
 * (../lazy-adapter.ts).
 */
export const jenkinsApiModule = defineCiApiModule(jenkinsModule, {
  name: 'jenkins',
  createAdapter(jenkins, secretOf) {
    const settings = parseJenkinsAdapterOptions({
      url: jenkins.url,
      user: jenkins.user,
      apiToken: secretOf(jenkins.apiToken, 'sources.jenkins.apiToken'),
      tunnel: jenkins.tunnel,
      pollQueue: jenkins.pollQueue,
    });
    return lazyAdapter('jenkins', jenkinsAdapterCalls(settings), async () =>
      (await import('./adapter')).jenkinsSourceFrom(settings),
    );
  },
});
