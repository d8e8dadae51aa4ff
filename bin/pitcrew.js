#!/usr/bin/env node
// The `pitcrew` command. The CLI is TypeScript, run through tsx's loader so a fresh clone needs no build step.
import { tsImport } from 'tsx/esm/api';

// The AWS SDK warns on every command that Node 20 is older than it will support in 2027; the CLI
// runs on the machine's Node 20 by design (the functions run on nodejs22.x in AWS), so say it once
// in the README rather than on every command. Set the variable to `false` to see it again.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

await tsImport('../infra/local/cli/main.ts', import.meta.url);
