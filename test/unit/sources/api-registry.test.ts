import { ciApiLoaders } from '../../../shared/sources/api-registry';
import { ciSources } from '../../../shared/sources/names';
import { ciApiModules } from '../../support/api-modules';

describe("the CIs' API loaders (shared/sources/api-registry.ts)", () => {
  it.each(ciSources)("%s: loads the API side the tests build that CI's adapters with", async (name) => {
    const api = await ciApiLoaders[name]();
    expect(api.name).toBe(name);
    expect(api).toBe(ciApiModules[name]);
  });
});
