import { en } from 'zod/locales';
import { config } from 'zod/mini';

/**
 * The one way product code gets zod: `zod/mini`, with zod's English messages. Import it as
 * `import * as z from '../schema/zod'`. zod parses the config file, at packaging and in the CLI; what
 * the functions parse at run time uses valibot (./valibot.ts), a smaller cold start.
 *
 * Why mini: the classic `zod` entry hangs every method on every schema, so a bundler cannot drop any
 * of it; it was 443 KiB of each Lambda bundle (minified), more than half, loaded at every cold start.
 * `zod/mini` is the same library (same core, same parsing, same issues) with a functional API
 * (`z.optional(s)`, `s.check(z.minLength(1))`) that bundles only what the schemas use.
 *
 * Why a namespace import of this module, not `import { z } from 'zod/mini'`: that `z` is a namespace
 * object passed around as a value, and esbuild keeps all of it (every locale, JSON Schema, the
 * compiler: 420 KiB). Re-exported with `export *` and imported with `import * as z`, only the
 * functions used are bundled.
 *
 * Why here: mini loads no locale, so without `config(en())` every issue would say only
 * "Invalid input". The messages are part of Pitcrew's interface: config errors and webhook answers
 * quote them ("Too small: expected string to have >=1 characters"). Every schema module imports zod
 * from this module, never from 'zod/mini' itself, so the locale is set before any parse, whichever
 * module (a handler, a test, the CLI) the import graph starts from.
 */
config(en());

export * from 'zod/mini';
