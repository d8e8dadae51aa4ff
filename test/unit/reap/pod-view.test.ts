import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { toPodView } from '../../../shared/reap';

const podStarted = '2026-11-25T11:00:00Z';
const agentStarted = '2026-11-25T11:00:05Z';
const sidecarStarted = '2026-11-25T11:50:00Z';

const status = (name: string, state: V1ContainerStatus['state']): V1ContainerStatus => ({
  name,
  image: name,
  imageID: '',
  ready: false,
  restartCount: 0,
  state,
});

/** An agent pod with `statuses` in the order the kubelet gave them. */
const pod = (phase: string, statuses: V1ContainerStatus[]): V1Pod => ({
  metadata: { name: 'pc-gen-1', creationTimestamp: new Date('2026-11-25T10:59:58Z') },
  spec: {
    containers: [
      { name: 'agent', image: 'busybox' },
      { name: 'adb', image: 'adb' },
    ],
  },
  status: { phase, startTime: new Date(podStarted), containerStatuses: statuses },
});

// "adb" sorts before "agent", so the kubelet lists this podYaml sidecar's status first.
describe('toPodView', () => {
  it("reads the agent container's start by its name, not the first status (a sidecar sorted before it)", () => {
    const view = toPodView(
      pod('Running', [
        status('adb', { running: { startedAt: new Date(sidecarStarted) } }),
        status('agent', { running: { startedAt: new Date(agentStarted) } }),
      ]),
    );
    expect(view.startedAtMs).toBe(Date.parse(agentStarted));
  });

  it("reads the agent container's exit, not a sidecar's listed before it", () => {
    const view = toPodView(
      pod('Failed', [
        status('adb', {
          terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: new Date(sidecarStarted) },
        }),
        status('agent', {
          terminated: { exitCode: 2, reason: 'Error', finishedAt: new Date(sidecarStarted) },
        }),
      ]),
    );
    expect(view).toMatchObject({ exitCode: 2, exitReason: 'Error' });
  });

  it('reads a pod whose agent exited as finished though a sidecar still runs (Kubernetes keeps it Running)', () => {
    const exited = (exitCode: number) =>
      toPodView(
        pod('Running', [
          status('adb', { running: { startedAt: new Date(sidecarStarted) } }),
          status('agent', {
            terminated: { exitCode, reason: 'Completed', finishedAt: new Date(sidecarStarted) },
          }),
        ]),
      );
    expect(exited(0)).toMatchObject({ phase: 'Succeeded', finishedAtMs: Date.parse(sidecarStarted) });
    expect(exited(1)).toMatchObject({ phase: 'Failed', exitCode: 1 });
    // An agent still running keeps the pod's own phase.
    expect(
      toPodView(pod('Running', [status('agent', { running: { startedAt: new Date(agentStarted) } })])).phase,
    ).toBe('Running');
  });

  it('reads a pod without an agent status as one without statuses: started with the pod, exit unknown', () => {
    const running = toPodView(
      pod('Running', [status('adb', { running: { startedAt: new Date(sidecarStarted) } })]),
    );
    expect(running.startedAtMs).toBe(Date.parse(podStarted));
    expect(running.startedAtMs).toBe(toPodView(pod('Running', [])).startedAtMs);
    const failed = toPodView(
      pod('Failed', [
        status('adb', { terminated: { exitCode: 1, reason: 'Error', finishedAt: new Date(sidecarStarted) } }),
      ]),
    );
    expect(failed).toMatchObject({
      startedAtMs: Date.parse(podStarted),
      finishedAtMs: Date.parse(sidecarStarted),
    });
    expect(failed.exitCode).toBeUndefined();
    expect(failed.exitReason).toBeUndefined();
  });
});
