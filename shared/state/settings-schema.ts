import type { OperatorSettings } from '../ports/settings-store';
import * as z from '../schema/zod';

/** The operator settings as validated on every write and parsed on every read. */
export const operatorSettingsSchema = z.object({
  drained: z._default(z.boolean(), false),
  globalCap: z.optional(z.int().check(z.nonnegative())),
  templateCaps: z._default(z.record(z.string(), z.int().check(z.nonnegative())), {}),
});

/** The item also carries a version, so two operators changing settings at once never lose a change. */
export const storedSettingsSchema = z.extend(operatorSettingsSchema, { version: z._default(z.int(), 0) });

// The port's type and the schema's agree both ways (this fails to compile if they drift apart).
type Parsed = z.infer<typeof operatorSettingsSchema>;
const _schemaMatchesPort: [Parsed] extends [OperatorSettings]
  ? [OperatorSettings] extends [Parsed]
    ? true
    : false
  : false = true;

/** How often `update` reads again after losing a race before it gives up. */
export const maxSettingsUpdateAttempts = 5;
