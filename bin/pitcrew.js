#!/usr/bin/env node
// The `pitcrew` command. The CLI is TypeScript, run through tsx's loader so a fresh clone needs no build step.
import { tsImport } from 'tsx/esm/api';

await tsImport('../infra/local/cli.ts', import.meta.url);
