import { defineCiReceiverModule } from '../module';
import { gitlabSigning } from './signing';
import { createGitlabWebhookReceiver } from './webhook';
import { gitlabModule } from './module';
import { gitlabRefusalReasons } from './refusal-reasons';

/** The webhook side of gitlab: its receiver, from settings alone (registered in shared/sources/receiver-registry.ts). */
export const gitlabReceiverModule = defineCiReceiverModule(gitlabModule, {
  name: 'gitlab',
  createReceiver: (gitlab, _secrets, now) =>
    createGitlabWebhookReceiver({
      projects: gitlab.projects,
      allowPublicProjects: gitlab.allowPublicProjects,
      maxJobAgeHours: gitlab.maxJobAgeHours,
      tags: gitlab.tags,
      now,
    }),
  signing: gitlabSigning,
  refusalReasons: gitlabRefusalReasons,
});
