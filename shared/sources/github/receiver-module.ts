import { defineCiReceiverModule } from '../module';
import { githubSigning } from './signing';
import { createGithubWebhookReceiver } from './webhook';
import { githubModule } from './module';

/** The webhook side of github: its receiver, from settings alone (registered in shared/sources/receiver-registry.ts). */
export const githubReceiverModule = defineCiReceiverModule(githubModule, {
  name: 'github',
  createReceiver: (github, _secrets, now) =>
    createGithubWebhookReceiver({
      repositories: github.repositories,
      allowPublicRepositories: github.allowPublicRepositories,
      installationId: 'app' in github.auth ? github.auth.app.installationId : undefined,
      maxJobAgeHours: github.maxJobAgeHours,
      now,
    }),
  signing: githubSigning,
  refusalReasons: [
    'repository-not-allowed',
    'public-repository',
    'visibility-unknown',
    'installation-not-allowed',
    'job-too-old',
  ],
});
