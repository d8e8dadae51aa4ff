import { defineCiReceiverModule } from '../module';
import { pitcrewSigning } from '../signature';
import { createJenkinsWebhookReceiver } from './webhook';
import { jenkinsModule } from './module';

/** The webhook side of jenkins: its receiver, from settings alone (registered in shared/sources/receiver-registry.ts). */
export const jenkinsReceiverModule = defineCiReceiverModule(jenkinsModule, {
  name: 'jenkins',
  createReceiver: (jenkins) =>
    createJenkinsWebhookReceiver({
      url: jenkins.url,
      signatureToleranceSeconds: jenkins.signatureToleranceSeconds,
    }),
  signing: pitcrewSigning(),
  refusalReasons: [],
});
