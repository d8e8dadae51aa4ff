import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { compileConfig } from '../../../shared/config';
import { httpEvent, lambdaContext } from '../../../infra/local/stand-ins/lambda';
import { functionEnv } from '../../support/function-env';
import { withBuildLock } from '../../support/template';

const functionNames = ['webhook', 'provision', 'reap', 'ops'] as const;
/** A path only the Kubernetes client's CoreV1 API has. */
const kubernetesMarker = '/api/v1/namespaces/{namespace}/pods';
/** A message only cls-hooked (loaded by aws-xray-sdk-core, which Powertools' Tracer imports) has. */
const xrayMarker = 'ns.run() or ns.bind() must be called first';
/** A message only the yaml package has. */
const yamlMarker = 'Implicit keys need to be on a single line';
/**
 * Text only the config schema (file-schema.ts), the template checks (pod-security.ts) and the CIs'
 * config sections (shared/sources/<ci>/config-schema.ts, here Buildkite's) have.
 */
const configCheckMarkers = [
  'must be a DNS label: lower-case letters, digits and -',
  'net.ipv4.ip_unprivileged_port_start',
  'must be a Buildkite slug (letters, digits, . _ -)',
];
/**
 * Headers only the webhook side reads: GitHub's receiver (shared/sources/github/webhook.ts) and
 * Buildkite's signing scheme (shared/sources/buildkite/signing.ts, on its receiver module).
 */
const receiverMarkers = ['x-github-event', 'x-buildkite-signature'];

/**
 * What each function may load at cold start, in KiB (handler.mjs and its static chunks, as
 * dist/sizes.json counts them): measured 626-658 KiB on 2026-12-02 once the bundled config was used
 * as compiled (no config schema, CI config sections or template checks at cold start) and the
 * receivers and signing loaded only by the webhook, in a chunk of their own (docs/performance.md),
 * plus a few KiB of room. A heavy import
 * (classic zod was 443 KiB, yaml 112 KiB) fails this. Raise a bound only with a reason in
 * docs/performance.md.
 */
const coldStartKiB = { webhook: 643, provision: 663, reap: 654, ops: 631 } as const;
/** handler.mjs and every chunk it imports statically: what a cold start loads before any dynamic import. */
function staticClosure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    // `import … from "./x.mjs"` and bare `import "./x.mjs"`; not `import("./x.mjs")`, which is lazy.
    for (const match of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*"(\.[^"]+\.mjs)"/g))
      visit(resolve(dirname(file), match[1]!));
  };
  visit(entry);
  return [...seen];
}

/** Imports a built bundle in a fresh Node process, as Lambda would, and calls it once. */
function invokeBundle(
  fn: string,
  event: unknown,
  env: NodeJS.ProcessEnv = {},
  entry = resolve('dist', fn, 'handler.mjs'),
): unknown {
  const script = `
    const { handler } = await import(${JSON.stringify(entry)});
    const result = await handler(${JSON.stringify(event)}, ${JSON.stringify(lambdaContext(fn))});
    process.stdout.write('RESULT ' + JSON.stringify(result ?? null));`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      PATH: process.env.PATH,
      ...functionEnv,
      PITCREW_CONFIG_FILE: resolve('test/fixtures/config/minimal.yaml'),
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      AWS_ACCESS_KEY_ID: 'unused',
      AWS_SECRET_ACCESS_KEY: 'unused',
      ...env,
    },
    encoding: 'utf8',
  });
  return JSON.parse(output.slice(output.indexOf('RESULT ') + 'RESULT '.length));
}

describe('the built bundles (esbuild, ESM, dynamic imports split into chunks)', () => {
  let results: Record<string, unknown>;
  let closures: Record<string, string[]>;
  /** The webhook's answer when run from a copy of its bundle outside the repository. */
  let copiedWebhook: unknown;
  /** What the traced invocation sent to a stand-in X-Ray daemon (UDP, as Lambda's). */
  const xrayPackets: string[] = [];
  beforeAll(async () => {
    const daemon = createSocket('udp4');
    daemon.on('message', (message) => xrayPackets.push(message.toString('utf8')));
    await new Promise<void>((bound) => daemon.bind(0, '127.0.0.1', bound));
    // dist/ is shared with the packaging tests: build and use it under the same lock.
    withBuildLock(() => {
      execFileSync('npx', ['tsx', 'scripts/build.ts'], { stdio: 'pipe' });
      closures = Object.fromEntries(
        functionNames.map((fn) => [fn, staticClosure(resolve('dist', fn, 'handler.mjs'))]),
      );
      results = {
        webhook: invokeBundle('webhook', httpEvent({ source: 'teamcity' })),
        provision: invokeBundle('provision', { Records: [] }),
        // What Lambda sets for a function with active tracing, and what serverless.yml adds.
        tracedWebhook: invokeBundle('webhook', httpEvent({ source: 'teamcity' }), {
          POWERTOOLS_TRACE_ENABLED: 'true',
          AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
          LAMBDA_TASK_ROOT: resolve('dist', 'webhook'),
          _HANDLER: 'handler.handler',
          _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
          AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
        }),
      };
      // The zip's layout, away from the repository's node_modules: a YAML parser cannot be found.
      const lambdaRoot = mkdtempSync(join(tmpdir(), 'pitcrew-zip-'));
      try {
        cpSync(join('dist', 'webhook'), lambdaRoot, { recursive: true });
        const minimal = resolve('test/fixtures/config/minimal.yaml');
        writeFileSync(
          join(lambdaRoot, 'pitcrew.config.json'),
          compileConfig(readFileSync(minimal, 'utf8'), minimal),
        );
        copiedWebhook = invokeBundle(
          'webhook',
          httpEvent({ source: 'teamcity' }),
          {
            PITCREW_CONFIG_FILE: join(lambdaRoot, 'pitcrew.config.json'),
          },
          join(lambdaRoot, 'handler.mjs'),
        );
      } finally {
        rmSync(lambdaRoot, { recursive: true, force: true });
      }
    });
    // The kernel kept the packets while the child ran; give the socket a moment to read them.
    await new Promise((read) => setTimeout(read, 300));
    daemon.close();
  }, 300_000);

  it('start in plain Node from handler.mjs and answer (top-level await, chunks and require shim work)', () => {
    expect(results.webhook).toMatchObject({ statusCode: 404 });
    expect(JSON.parse((results.webhook as { body: string }).body)).toMatchObject({
      error: expect.stringContaining('teamcity'),
    });
    expect(results.provision).toEqual({ batchItemFailures: [] });
    // With tracing on, the X-Ray chunk loads at cold start, the answer is the same, and the handler's
    // subsegment reaches the daemon.
    expect(results.tracedWebhook).toEqual(results.webhook);
    expect(xrayPackets.some((packet) => packet.includes('"## handler.handler"'))).toBe(true);
  });

  it('stay under their cold-start size bounds, and ship no YAML parser', () => {
    const sizes = JSON.parse(readFileSync('dist/sizes.json', 'utf8')) as {
      function: string;
      coldStartBytes: number;
    }[];
    const over = functionNames.flatMap((fn) => {
      const kib = (sizes.find((entry) => entry.function === fn)?.coldStartBytes ?? Infinity) / 1024;
      return kib > coldStartKiB[fn] ? [`${fn}: ${kib.toFixed(1)} KiB > ${coldStartKiB[fn]} KiB`] : [];
    });
    expect(over).toEqual([]);
    for (const fn of functionNames) {
      const shipped = [
        ...closures[fn]!,
        ...readdirSync(join('dist', fn, 'chunks'))
          .filter((name) => name.endsWith('.mjs'))
          .map((name) => join('dist', fn, 'chunks', name)),
      ];
      expect({ fn, yaml: shipped.some((file) => readFileSync(file, 'utf8').includes(yamlMarker)) }).toEqual({
        fn,
        yaml: false,
      });
    }
  });

  it('load neither the config checks nor a CI receiver or signing scheme at cold start: npm run package ran the checks, and only the webhook loads the receivers, in a chunk of their own', () => {
    const has = (file: string, marker: string): boolean => readFileSync(file, 'utf8').includes(marker);
    const chunksOf = (fn: string): string[] =>
      readdirSync(join('dist', fn, 'chunks'))
        .filter((name) => name.endsWith('.mjs'))
        .map((name) => join('dist', fn, 'chunks', name));
    for (const fn of functionNames)
      expect({
        fn,
        configChecks: configCheckMarkers.filter((marker) => closures[fn]!.some((file) => has(file, marker))),
        receiver: receiverMarkers.filter((marker) => closures[fn]!.some((file) => has(file, marker))),
        // The full parser still ships, for a YAML config (`pitcrew dev`, the CLI).
        configChecksShipped: configCheckMarkers.every((marker) =>
          chunksOf(fn).some((file) => has(file, marker)),
        ),
      }).toEqual({ fn, configChecks: [], receiver: [], configChecksShipped: true });
    for (const marker of receiverMarkers)
      expect({ marker, inWebhook: chunksOf('webhook').some((file) => has(file, marker)) }).toEqual({
        marker,
        inWebhook: true,
      });
  });

  it('start from the bundled JSON config with no node_modules to fall back on, as in the Lambda zip', () => {
    expect(copiedWebhook).toMatchObject({ statusCode: 404 });
    expect(JSON.parse((copiedWebhook as { body: string }).body)).toMatchObject({
      error: expect.stringContaining('teamcity'),
    });
  });

  it('load the X-Ray SDK only when tracing is on: its async hook would tax every call otherwise', () => {
    const hasMarker = (file: string): boolean => readFileSync(file, 'utf8').includes(xrayMarker);
    // ops is never traced: it neither loads nor ships the X-Ray SDK.
    const opsFiles = readdirSync(join('dist', 'ops', 'chunks')).map((name) =>
      join('dist', 'ops', 'chunks', name),
    );
    expect([...closures.ops!, ...opsFiles].some(hasMarker)).toBe(false);
    for (const fn of ['webhook', 'provision', 'reap']) {
      const chunks = readdirSync(join('dist', fn, 'chunks')).map((name) => join('dist', fn, 'chunks', name));
      expect({ fn, atColdStart: closures[fn]!.some(hasMarker), shipped: chunks.some(hasMarker) }).toEqual({
        fn,
        atColdStart: false,
        shipped: true,
      });
    }
  });

  it('keep the Kubernetes client out of what the webhook loads, but ship it for the others to load', () => {
    const hasMarker = (file: string): boolean => readFileSync(file, 'utf8').includes(kubernetesMarker);
    expect(closures.webhook!.some(hasMarker)).toBe(false);
    for (const fn of ['provision', 'reap', 'ops']) {
      const chunks = readdirSync(join('dist', fn, 'chunks')).filter((name) => name.endsWith('.mjs'));
      expect({ fn, ships: chunks.some((name) => hasMarker(join('dist', fn, 'chunks', name))) }).toEqual({
        fn,
        ships: true,
      });
    }
  });
});
