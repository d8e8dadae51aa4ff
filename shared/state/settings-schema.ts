import type { OperatorSettings } from '../ports/settings-store';
import * as v from '../schema/valibot';

/** The operator settings as validated on every write and parsed on every read. */
export const operatorSettingsSchema = v.object({
  drained: v.optional(v.boolean(), false),
  globalCap: v.optional(v.pipe(v.int(), v.minValue(0))),
  templateCaps: v.optional(v.record(v.string(), v.pipe(v.int(), v.minValue(0))), {}),
});

/** The item also carries a version, so two operators changing settings at once never lose a change. */
export const storedSettingsSchema = v.object({
  ...operatorSettingsSchema.entries,
  version: v.optional(v.int(), 0),
});

// The port's type and the schema's agree both ways (this fails to compile if they drift apart).
type Parsed = v.InferOutput<typeof operatorSettingsSchema>;
const _schemaMatchesPort: [Parsed] extends [OperatorSettings]
  ? [OperatorSettings] extends [Parsed]
    ? true
    : false
  : false = true;

/** How often `update` reads again after losing a race before it gives up. */
export const maxSettingsUpdateAttempts = 5;
