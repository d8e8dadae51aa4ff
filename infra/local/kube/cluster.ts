import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServerStartError } from '../errors';
import { freePort } from '../ports';
import { startProcess, type ManagedProcess } from '../process';
import { ensureClusterBinaries } from '../toolchain';
import { makeClusterPki } from './certs';
import { httpsStatus } from './http';
import { writeKubeconfig } from './kubeconfig';

const here = dirname(new URL(import.meta.url).pathname);

export interface ClusterOptions {
  /** Folder for certificates, etcd data, logs and kubeconfigs; a fresh temp folder by default. */
  readonly workDir?: string;
  /** How many kwok nodes to create. */
  readonly nodes?: number;
}

export interface LocalCluster {
  /** https://127.0.0.1:PORT */
  readonly server: string;
  /** Admin kubeconfig (bearer token of a system:masters user). */
  readonly kubeconfigPath: string;
  readonly caFile: string;
  readonly workDir: string;
  readonly nodeNames: readonly string[];
  /** Process ids of etcd, the control plane and kwok, for `cluster:down` and leak checks. */
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

const defaults = { nodes: 3 } as const;

/**
 * Starts a real Kubernetes control plane on loopback: etcd, kube-apiserver (RBAC, token auth,
 * ServiceAccount token signing), kube-controller-manager (garbage collection, namespaces,
 * ServiceAccounts), kube-scheduler, and kwok playing the kubelets of `nodes` fake nodes.
 * Binaries are built once per version (see toolchain.ts). Everything listens on free ports and
 * lives in `workDir`; `stop()` ends every process and removes a temp `workDir`.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<LocalCluster> {
  const nodes = options.nodes ?? defaults.nodes;
  const ownsWorkDir = options.workDir === undefined;
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'pitcrew-cluster-'));
  mkdirSync(workDir, { recursive: true });
  const bin = await ensureClusterBinaries();
  const pki = await makeClusterPki(workDir);
  const started: ManagedProcess[] = [];
  const stopAll = async (): Promise<void> => {
    for (const process of started.reverse()) await process.stop();
    started.length = 0;
  };

  try {
    const [etcdClientPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    started.push(
      await startProcess({
        name: 'etcd',
        command: bin.etcd,
        args: [
          `--data-dir=${join(workDir, 'etcd')}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
          `--initial-cluster=default=http://127.0.0.1:${etcdPeerPort}`,
          // A throw-away test store: durability is not worth the fsync latency here.
          '--unsafe-no-fsync',
          '--log-level=warn',
        ],
        logFile: join(workDir, 'etcd.log'),
        isReady: async () => (await fetch(`${etcdUrl}/health`)).ok,
      }),
    );

    const tokens = {
      admin: randomBytes(24).toString('hex'),
      controllerManager: randomBytes(24).toString('hex'),
      scheduler: randomBytes(24).toString('hex'),
    };
    const tokenFile = join(workDir, 'tokens.csv');
    // https://kubernetes.io/docs/reference/access-authn-authz/authentication/#static-token-file
    writeFileSync(
      tokenFile,
      [
        `${tokens.admin},pitcrew-admin,uid-admin,"system:masters"`,
        `${tokens.controllerManager},system:kube-controller-manager,uid-kcm,"system:masters"`,
        `${tokens.scheduler},system:kube-scheduler,uid-scheduler,"system:masters"`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const server = `https://127.0.0.1:${apiPort}`;
    const ca = readFileSync(pki.caCert);
    started.push(
      await startProcess({
        name: 'kube-apiserver',
        command: bin['kube-apiserver'],
        args: [
          `--etcd-servers=${etcdUrl}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          `--secure-port=${apiPort}`,
          `--cert-dir=${join(workDir, 'apiserver-certs')}`,
          `--tls-cert-file=${pki.servingCert}`,
          `--tls-private-key-file=${pki.servingKey}`,
          `--client-ca-file=${pki.caCert}`,
          `--token-auth-file=${tokenFile}`,
          '--authorization-mode=RBAC',
          // As on EKS and most clusters: privileged containers are valid, and Pod Security admission judges them.
          '--allow-privileged=true',
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          `--service-account-key-file=${pki.serviceAccountPub}`,
          `--service-account-signing-key-file=${pki.serviceAccountKey}`,
          '--service-cluster-ip-range=10.0.0.0/24',
          '--profiling=false',
          '--v=1',
        ],
        logFile: join(workDir, 'kube-apiserver.log'),
        isReady: async () => (await httpsStatus(`${server}/readyz`, { ca, token: tokens.admin })) === 200,
        readyTimeoutMs: 120_000,
      }),
    );

    const kubeconfigPath = writeKubeconfig(join(workDir, 'admin.kubeconfig'), {
      server,
      caFile: pki.caCert,
      user: 'pitcrew-admin',
      token: tokens.admin,
    });
    const kcmKubeconfig = writeKubeconfig(join(workDir, 'kcm.kubeconfig'), {
      server,
      caFile: pki.caCert,
      user: 'system:kube-controller-manager',
      token: tokens.controllerManager,
    });
    const schedulerKubeconfig = writeKubeconfig(join(workDir, 'scheduler.kubeconfig'), {
      server,
      caFile: pki.caCert,
      user: 'system:kube-scheduler',
      token: tokens.scheduler,
    });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    const core = kubeConfig.makeApiClient(CoreV1Api);

    started.push(
      await startProcess({
        name: 'kube-controller-manager',
        command: bin['kube-controller-manager'],
        args: [
          `--kubeconfig=${kcmKubeconfig}`,
          '--leader-elect=false',
          '--secure-port=0',
          // Only what tests and `pitcrew dev` rely on: owner-reference GC (a pod's Secret goes with
          // it), namespace deletion, the `default` ServiceAccount of each namespace, and node
          // lifecycle (it lifts the not-ready taint the API server puts on every new node).
          '--controllers=garbage-collector-controller,namespace-controller,serviceaccount-controller,node-lifecycle-controller',
          '--v=1',
        ],
        logFile: join(workDir, 'kube-controller-manager.log'),
        isReady: async () => {
          await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
          return true;
        },
      }),
    );
    started.push(
      await startProcess({
        name: 'kube-scheduler',
        command: bin['kube-scheduler'],
        args: [`--kubeconfig=${schedulerKubeconfig}`, '--leader-elect=false', '--secure-port=0', '--v=1'],
        logFile: join(workDir, 'kube-scheduler.log'),
        // The scheduler has no port here; it is ready when it has not exited after a moment.
        isReady: async () => {
          await sleep(300);
          return true;
        },
      }),
    );

    const kwokPort = await freePort();
    started.push(
      await startProcess({
        name: 'kwok',
        command: bin.kwok,
        args: [
          `--kubeconfig=${kubeconfigPath}`,
          `--config=${join(here, 'kwok-stages.yaml')}`,
          '--manage-nodes-with-label-selector=type=kwok',
          `--server-address=127.0.0.1:${kwokPort}`,
        ],
        logFile: join(workDir, 'kwok.log'),
        isReady: async () => (await fetch(`http://127.0.0.1:${kwokPort}/healthz`)).ok,
      }),
    );

    const nodeNames = Array.from({ length: nodes }, (_, index) => `kwok-node-${index}`);
    for (const name of nodeNames) {
      await core.createNode({
        body: {
          metadata: {
            name,
            labels: {
              type: 'kwok',
              'kubernetes.io/hostname': name,
              'kubernetes.io/os': 'linux',
              'kubernetes.io/arch': 'amd64',
            },
            annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'kwok.x-k8s.io/node': 'fake' },
          },
        },
      });
    }
    await waitForNodesReady(core, nodeNames, join(workDir, 'kwok.log'));

    return {
      server,
      kubeconfigPath,
      caFile: pki.caCert,
      workDir,
      nodeNames,
      pids: started.map((process) => process.pid),
      async stop() {
        await stopAll();
        if (ownsWorkDir) rmSync(workDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function waitForNodesReady(core: CoreV1Api, names: readonly string[], kwokLog: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const list = await core.listNode({ labelSelector: 'type=kwok' });
    const ready = list.items.filter(
      (node) =>
        node.status?.conditions?.some(
          (condition) => condition.type === 'Ready' && condition.status === 'True',
        ) && (node.spec?.taints ?? []).length === 0,
    );
    if (names.every((name) => ready.some((node) => node.metadata?.name === name))) return;
    await sleep(200);
  }
  throw new ServerStartError(
    'kwok',
    kwokLog,
    'the fake nodes did not become Ready and untainted within 30 s',
  );
}
