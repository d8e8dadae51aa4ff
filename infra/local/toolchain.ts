import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { binDir, mavenDir } from './cache';
import { BuildError, MissingToolError } from './errors';
import { versions } from './versions';

const run = promisify(execFile);
const here = dirname(new URL(import.meta.url).pathname);

/** Progress goes to stderr so it shows during `npm test` and `pitcrew dev` without mixing with output. */
const progress = (line: string): void => void process.stderr.write(`[pitcrew local] ${line}\n`);

export function requireTool(tool: string, hint: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
  if (!found) throw new MissingToolError(tool, hint);
}

type JavaServer = 'elasticmq' | 'dynamodb-local';
const javaVersion: Record<JavaServer, string> = {
  elasticmq: versions.elasticmq,
  'dynamodb-local': versions.dynamodbLocal,
};

/**
 * Resolves a Java server and its dependencies from Maven Central into the cache (once per version)
 * and returns the directory of jars. A `.complete` marker makes an interrupted copy count as absent.
 */
export async function ensureJavaServer(server: JavaServer): Promise<string> {
  const version = javaVersion[server];
  const dir = join(mavenDir(), `${server}-${version}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  requireTool('mvn', 'install Maven (apt-get install maven)');
  progress(`resolving ${server} ${version} from Maven Central into ${dir} (first run only)`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const logFile = `${dir}.mvn.log`;
  try {
    const { stdout, stderr } = await run(
      'mvn',
      [
        '-B',
        '-q',
        '-f',
        resolve(here, 'maven/pom.xml'),
        `-P${server}`,
        `-Delasticmq.version=${versions.elasticmq}`,
        `-Ddynamodb-local.version=${versions.dynamodbLocal}`,
        'dependency:copy-dependencies',
        `-DoutputDirectory=${dir}`,
        // DynamoDB Local loads sqlite4java's native library by its unversioned file name.
        '-Dmdep.stripVersion=true',
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    writeFileSync(logFile, stdout + stderr);
  } catch (error) {
    writeFileSync(
      logFile,
      String((error as { stdout?: string }).stdout ?? '') +
        String((error as { stderr?: string }).stderr ?? error),
    );
    throw new BuildError(`${server} ${version}`, logFile, { cause: error });
  }
  writeFileSync(join(dir, '.complete'), new Date().toISOString());
  return dir;
}

type GoBinary = 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'etcd' | 'kwok';

interface GoBuild {
  readonly version: string;
  /** Folder of the wrapper module to build in, or undefined for `go install pkg@version`. */
  readonly module?: string;
  readonly pkg: string;
}

const goBuilds: Record<GoBinary, GoBuild> = {
  'kube-apiserver': {
    version: versions.kubernetes,
    module: 'k8s-tools',
    pkg: 'k8s.io/kubernetes/cmd/kube-apiserver',
  },
  'kube-controller-manager': {
    version: versions.kubernetes,
    module: 'k8s-tools',
    pkg: 'k8s.io/kubernetes/cmd/kube-controller-manager',
  },
  'kube-scheduler': {
    version: versions.kubernetes,
    module: 'k8s-tools',
    pkg: 'k8s.io/kubernetes/cmd/kube-scheduler',
  },
  etcd: { version: versions.etcd, module: 'etcd-tools', pkg: 'go.etcd.io/etcd/server/v3' },
  kwok: { version: versions.kwok, pkg: `sigs.k8s.io/kwok/cmd/kwok@${versions.kwok}` },
};

export const goBinaryPath = (name: GoBinary): string => join(binDir(), `${name}-${goBuilds[name].version}`);

/**
 * Builds a Go server from its module through the Go module proxy, once per version. The build
 * writes to a temporary name and renames, so a killed build never leaves a half-written binary.
 */
export async function ensureGoBinary(name: GoBinary): Promise<string> {
  const target = goBinaryPath(name);
  if (existsSync(target)) return target;
  requireTool('go', 'install the Go toolchain (https://go.dev/doc/install or apt-get install golang)');
  const build = goBuilds[name];
  mkdirSync(binDir(), { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  const logFile = `${target}.build.log`;
  const started = Date.now();
  progress(`building ${name} ${build.version} with Go (first run only; kube-apiserver takes minutes)`);
  const flags = ['-trimpath', '-ldflags=-s -w'];
  try {
    const result = build.module
      ? await run('go', ['build', ...flags, '-o', partial, build.pkg], {
          cwd: resolve(here, build.module),
          maxBuffer: 64 * 1024 * 1024,
        })
      : await run('go', ['install', ...flags, build.pkg], {
          env: { ...process.env, GOBIN: `${partial}.d` },
          maxBuffer: 64 * 1024 * 1024,
        });
    writeFileSync(logFile, result.stdout + result.stderr);
    if (!build.module) renameSync(join(`${partial}.d`, name), partial);
  } catch (error) {
    writeFileSync(logFile, String((error as { stderr?: string }).stderr ?? error));
    throw new BuildError(`${name} ${build.version}`, logFile, { cause: error });
  } finally {
    if (!build.module) rmSync(`${partial}.d`, { recursive: true, force: true });
  }
  renameSync(partial, target);
  progress(`built ${name} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return target;
}

/** Builds every Go binary the cluster needs, in sequence (parallel Go builds only fight for 2 cores). */
export async function ensureClusterBinaries(): Promise<Record<GoBinary, string>> {
  const names: GoBinary[] = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'];
  const paths = {} as Record<GoBinary, string>;
  for (const name of names) paths[name] = await ensureGoBinary(name);
  return paths;
}
