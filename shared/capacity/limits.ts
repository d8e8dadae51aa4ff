import type { PitcrewConfig } from '../config/file-schema';
import type { OperatorSettings } from '../state/settings-store';
import { byTemplate } from './by-template';
import type { CapacityLimits } from './plan';

/** The caps in force: an operator's run-time override (ops `caps`) wins over the config file. */
export function capacityLimits(
  config: {
    readonly capacity: PitcrewConfig['capacity'];
    readonly templates: readonly PitcrewConfig['templates'][number][];
  },
  runtime: OperatorSettings,
): CapacityLimits {
  return {
    globalCap: runtime.globalCap ?? config.capacity.globalCap,
    templateCaps: Object.fromEntries(
      config.templates.map((template) => [
        template.name,
        byTemplate(runtime.templateCaps, template.name) ?? template.instanceCap,
      ]),
    ),
  };
}
