'use strict';
// A Serverless Framework plugin (CommonJS, as osls loads plugins with require) that makes
// `serverless invoke local -f <fn>` run a function's bundle against the system `pitcrew dev` runs:
// - the environment comes from .pitcrew/dev.json (or PITCREW_DEV_FILE), because the deployed
//   environment holds CloudFormation references (!Ref, Fn::If) that only exist in AWS;
// - the handler is dist/<fn>/handler.mjs from `npm run build`, loaded through a small CommonJS shim,
//   because osls loads a Node handler with require() and does not try `.mjs`.
// It does nothing for any other command (package and deploy are untouched).
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');

/** Whether a process of that pid runs (one of another user's answers EPERM). As the CLI's (invoke-ops.ts). */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

class PitcrewInvokeLocal {
  constructor(serverless, options) {
    this.serverless = serverless;
    this.options = options;
    this.hooks = { initialize: () => this.prepare() };
  }

  prepare() {
    const commands = this.serverless.processedInput?.commands ?? [];
    if (commands[0] !== 'invoke' || commands[1] !== 'local') return;
    const fn = this.options.function;
    const serviceDir = this.serverless.serviceDir;
    const devFile = path.resolve(
      process.env.PITCREW_DEV_FILE ?? path.join(serviceDir, '.pitcrew', 'dev.json'),
    );
    const fail = (message) => {
      throw new this.serverless.classes.Error(message, 'PITCREW_INVOKE_LOCAL');
    };
    if (!existsSync(devFile))
      fail(`no local system is running (no ${devFile}): start one with \`npx pitcrew dev\``);
    const bundleDir = path.join(serviceDir, 'dist', fn);
    if (!existsSync(path.join(bundleDir, 'handler.mjs')))
      fail(`no bundle for '${fn}' in ${bundleDir}: run \`npm run build\` first`);

    const { functionEnv, pid } = JSON.parse(readFileSync(devFile, 'utf8'));
    // A `pitcrew dev` killed hard leaves its file behind: its servers are gone with it.
    if (!isAlive(pid))
      fail(
        `the local system in ${devFile} is not running any more (pid ${pid} is gone): start it again with \`npx pitcrew dev\``,
      );
    const environment = { ...functionEnv, POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN' };
    this.serverless.service.provider.environment = environment;
    const functionObject = this.serverless.service.functions?.[fn];
    if (functionObject) functionObject.environment = {};

    writeFileSync(
      path.join(bundleDir, 'handler.cjs'),
      "exports.handler = async (event, context) => (await import('./handler.mjs')).handler(event, context);\n",
    );
    this.options.extraServicePath = path.relative(serviceDir, bundleDir);
  }
}

module.exports = PitcrewInvokeLocal;
