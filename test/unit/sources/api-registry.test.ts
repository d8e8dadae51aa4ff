import { ciApiLoaders } from '../../../shared/sources/api-registry';
import { defineCiApiModule } from '../../../shared/sources/define-api-module';
import { githubModule } from '../../../shared/sources/github/module';
import { gitlabModule } from '../../../shared/sources/gitlab/module';
import { ciSources } from '../../../shared/sources/names';
import { ciApiModules } from '../../support/api-modules';

describe("the CIs' API loaders (shared/sources/api-registry.ts)", () => {
  it.each(ciSources)("%s: loads the API side the tests build that CI's adapters with", async (name) => {
    const api = await ciApiLoaders[name]();
    expect(api.name).toBe(name);
    expect(api).toBe(ciApiModules[name]);
  });
});

describe('defineCiApiModule', () => {
  it('refuses an API side named for another CI, or defined for a module that is not the registered one', () => {
    const api = ciApiModules.gitlab;
    expect(() => defineCiApiModule(githubModule, { ...api, name: 'gitlab' } as never)).toThrow(
      "the API side 'gitlab' is not that of the registered CI module 'github'",
    );
    const lookalike = { ...gitlabModule };
    expect(() => defineCiApiModule(lookalike, api)).toThrow(
      "the API side 'gitlab' is not that of the registered CI module 'gitlab'",
    );
    expect(defineCiApiModule(gitlabModule, api)).toBe(api);
  });
});
