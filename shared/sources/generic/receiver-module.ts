import { defineCiReceiverModule } from '../module';
import { pitcrewSigning } from '../signature';
import { createGenericWebhookReceiver } from './webhook';
import { genericModule } from './module';

/** The webhook side of generic: its receiver, from settings alone (registered in shared/sources/receiver-registry.ts). */
export const genericReceiverModule = defineCiReceiverModule(genericModule, {
  name: 'generic',
  createReceiver: (generic) => createGenericWebhookReceiver(generic),
  signing: pitcrewSigning(),
  refusalReasons: [],
});
