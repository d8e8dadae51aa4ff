import { defineCiApiModule } from '../define-api-module';
import { createGenericSource } from './adapter';
import { genericModule } from './module';

/** The generic source's API side: it has no CI to call, only an optional static agent token. */
export const genericApiModule = defineCiApiModule(genericModule, {
  name: 'generic',
  createAdapter: ({ agentToken }, secretOf) =>
    createGenericSource({
      agentToken: agentToken ? () => secretOf(agentToken, 'sources.generic.agentToken') : undefined,
    }),
});
